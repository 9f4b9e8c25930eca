import TesseraRaft

/// An operation a client asks of the key-value state machine.
public enum KVInput: Sendable, Hashable, CustomStringConvertible {
    /// Reads a key (0 means absent).
    case get(key: UInt8)
    /// Writes a value.
    case put(key: UInt8, value: UInt64)
    /// Writes `new` if the current value is `expected`.
    case cas(key: UInt8, expected: UInt64, new: UInt64)

    /// The key the operation touches.
    public var key: UInt8 {
        switch self {
        case .get(let key), .put(let key, _), .cas(let key, _, _): return key
        }
    }

    /// A short description.
    public var description: String {
        switch self {
        case .get(let key): return "get(k\(key))"
        case .put(let key, let value): return "put(k\(key),\(value))"
        case .cas(let key, let expected, let new): return "cas(k\(key),\(expected)->\(new))"
        }
    }
}
