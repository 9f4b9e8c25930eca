import TesseraRaft

/// A command as stored in the Raft log: who asked, which of their operations, and the operation.
public struct KVCommand: Sendable, Hashable {
    /// The client that issued it.
    public var client: UInt32
    /// The client's operation number.
    public var operation: UInt64
    /// The operation.
    public var input: KVInput

    /// Creates a command.
    public init(client: UInt32, operation: UInt64, input: KVInput) {
        self.client = client
        self.operation = operation
        self.input = input
    }

    /// A fixed 30-byte little-endian encoding.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(30)
        let (tag, key, first, second): (UInt8, UInt8, UInt64, UInt64)
        switch input {
        case .get(let k): (tag, key, first, second) = (0, k, 0, 0)
        case .put(let k, let value): (tag, key, first, second) = (1, k, value, 0)
        case .cas(let k, let expected, let new): (tag, key, first, second) = (2, k, expected, new)
        }
        bytes.append(tag)
        bytes.append(key)
        withUnsafeBytes(of: client.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: operation.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: first.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: second.littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Decodes `encoded()`; nil for anything malformed.
    public init?(decoding bytes: [UInt8]) {
        guard bytes.count == 30 else { return nil }
        func read(_ offset: Int, _ width: Int) -> UInt64 {
            var value: UInt64 = 0
            for position in 0..<width { value |= UInt64(bytes[offset + position]) << (8 * position) }
            return value
        }
        client = UInt32(read(2, 4))
        operation = read(6, 8)
        let key = bytes[1]
        switch bytes[0] {
        case 0: input = .get(key: key)
        case 1: input = .put(key: key, value: read(14, 8))
        case 2: input = .cas(key: key, expected: read(14, 8), new: read(22, 8))
        default: return nil
        }
    }
}
