import TesseraCore

/// Appends little-endian fields to a byte buffer (the log and snapshot encodings).
struct BinaryWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    mutating func blob(_ v: [UInt8]) {
        u32(UInt32(v.count))
        bytes.append(contentsOf: v)
    }
    mutating func string(_ v: String) {
        u32(UInt32(v.utf8.count))
        bytes.append(contentsOf: v.utf8)
    }
    mutating func version(_ v: Version) {
        u64(v.timestamp.rawValue)
        u16(v.node)
    }
}

/// Reads what `BinaryWriter` wrote; every read is bounds-checked and throws on truncated input.
struct BinaryReader {
    struct Truncated: Error {}

    let bytes: [UInt8]
    var offset: Int
    let end: Int

    init(_ bytes: [UInt8], offset: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.end = end ?? bytes.count
    }

    var isAtEnd: Bool { offset >= end }

    private mutating func take(_ count: Int) throws(Truncated) -> Int {
        guard count >= 0, end - offset >= count else { throw Truncated() }
        defer { offset += count }
        return offset
    }

    mutating func u8() throws(Truncated) -> UInt8 { bytes[try take(1)] }
    mutating func u16() throws(Truncated) -> UInt16 {
        let at = try take(2)
        return bytes.withUnsafeBytes { UInt16(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt16.self)) }
    }
    mutating func u32() throws(Truncated) -> UInt32 {
        let at = try take(4)
        return bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
    }
    mutating func u64() throws(Truncated) -> UInt64 {
        let at = try take(8)
        return bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
    }
    mutating func i64() throws(Truncated) -> Int64 { Int64(bitPattern: try u64()) }
    mutating func blob() throws(Truncated) -> [UInt8] {
        let count = Int(try u32())
        let at = try take(count)
        return Array(bytes[at..<at + count])
    }
    mutating func string() throws(Truncated) -> String {
        let count = Int(try u32())
        let at = try take(count)
        return String(decoding: bytes[at..<at + count], as: UTF8.self)
    }
    mutating func version() throws(Truncated) -> Version {
        let ts = try u64()
        let node = try u16()
        return Version(timestamp: HybridTimestamp(rawValue: ts), node: node)
    }
}
