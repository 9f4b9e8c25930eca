/// Validation of the names and keys of API.md.
public enum Names {
    /// The longest key in UTF-8 bytes.
    public static let keyBytesMax = 1024
    /// The longest name of a keyspace, lock, queue or channel.
    public static let nameBytesMax = 128

    /// Whether `name` matches `[A-Za-z0-9_.-]{1,128}`.
    public static func isValidName(_ name: some StringProtocol) -> Bool {
        let utf8 = name.utf8
        guard !utf8.isEmpty, utf8.count <= nameBytesMax else { return false }
        return utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
                true
            default: false
            }
        }
    }

    /// Throws a 400 unless `name` is a valid name of `kind` ("keyspace", "lock", ...).
    public static func validateName(_ name: some StringProtocol, kind: String) throws(TesseraError) {
        guard isValidName(name) else {
            throw .badRequest("invalid \(kind) name: must match [A-Za-z0-9_.-]{1,128}")
        }
    }

    /// Throws a 400 unless `key` is 1 to 1024 bytes of UTF-8.
    public static func validateKey(_ key: String) throws(TesseraError) {
        let count = key.utf8.count
        guard count >= 1 else { throw .badRequest("key must not be empty") }
        guard count <= keyBytesMax else { throw .badRequest("key is \(count) bytes; the limit is \(keyBytesMax)") }
    }

    /// Decodes one percent-encoded path segment strictly: nil on a bad escape or bytes that are not UTF-8.
    public static func percentDecode(_ segment: some StringProtocol) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(segment.utf8.count)
        var iterator = segment.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Percent-encodes `text` as one path segment (unreserved characters stay).
    public static func percentEncode(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
