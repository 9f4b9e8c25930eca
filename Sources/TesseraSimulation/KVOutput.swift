import TesseraRaft

/// The result of a `KVInput`.
public enum KVOutput: Sendable, Hashable, CustomStringConvertible {
    /// The value read (0 = absent).
    case value(UInt64)
    /// A put succeeded.
    case ok
    /// Whether a compare-and-swap matched.
    case swapped(Bool)

    /// A short description.
    public var description: String {
        switch self {
        case .value(let value): return "=\(value)"
        case .ok: return "ok"
        case .swapped(let done): return done ? "swapped" : "mismatch"
        }
    }
}
