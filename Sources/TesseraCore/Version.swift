/// The version of a stored item: when it was written (hybrid logical clock) and by which node.
/// Ordered by timestamp, then node, so that concurrent writes have one winner everywhere.
public struct Version: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The write's hybrid timestamp.
    public var timestamp: HybridTimestamp
    /// The ordinal of the node that coordinated the write (breaks timestamp ties).
    public var node: UInt16

    /// Creates a version.
    public init(timestamp: HybridTimestamp, node: UInt16) {
        self.timestamp = timestamp
        self.node = node
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.timestamp, lhs.node) < (rhs.timestamp, rhs.node)
    }

    /// The opaque text form: 16 hex digits of timestamp, a dash, 4 hex digits of node.
    public var description: String {
        hex(timestamp.rawValue, width: 16) + "-" + hex(UInt64(node), width: 4)
    }

    /// Parses the text form; nil when it is not one.
    public init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 21, utf8[16] == UInt8(ascii: "-"),
            let ts = parseHex(utf8[0..<16]), let node = parseHex(utf8[17..<21])
        else { return nil }
        self.init(timestamp: HybridTimestamp(rawValue: ts), node: UInt16(node))
    }
}

private let hexDigits = Array("0123456789abcdef".utf8)

private func hex(_ value: UInt64, width: Int) -> String {
    var bytes = [UInt8](repeating: UInt8(ascii: "0"), count: width)
    var value = value
    var i = width - 1
    while i >= 0 {
        bytes[i] = hexDigits[Int(value & 0xF)]
        value >>= 4
        i -= 1
    }
    return String(decoding: bytes, as: UTF8.self)
}

private func parseHex(_ bytes: ArraySlice<UInt8>) -> UInt64? {
    var value: UInt64 = 0
    for byte in bytes {
        let digit: UInt8
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
        default: return nil
        }
        value = value << 4 | UInt64(digit)
    }
    return value
}
