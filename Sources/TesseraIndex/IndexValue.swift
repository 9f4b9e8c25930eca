import TesseraCore

/// A scalar as the ordered index sorts it: null < false < true < numbers < strings (UTF-8 byte order).
///
/// Numbers compare numerically (`-0 == 0`); strings compare by their UTF-8 bytes, which is also
/// Unicode code point order, and are equal only when byte-identical (no normalisation).
public enum IndexValue: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// JSON null, the smallest value.
    case null
    /// A boolean; false sorts before true.
    case bool(Bool)
    /// A finite number.
    case number(Double)
    /// A string.
    case string(String)

    /// The scalar in a JSON value, or nil for arrays, objects and non-finite numbers (not indexable).
    public init?(_ json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .number(let number):
            guard number.isFinite else { return nil }
            self = .number(number == 0 ? 0 : number)
        case .string(let text): self = .string(text)
        case .array, .object: return nil
        }
    }

    /// The value as JSON.
    public var json: JSONValue {
        switch self {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .number(let number): return .number(number)
        case .string(let text): return .string(text)
        }
    }

    /// The type's rank in the total order: null 0, bool 1, number 2, string 3.
    public var typeRank: Int {
        switch self {
        case .null: return 0
        case .bool: return 1
        case .number: return 2
        case .string: return 3
        }
    }

    /// A short rendering for messages.
    public var description: String {
        switch self {
        case .null: return "null"
        case .bool(let flag): return String(flag)
        case .number(let number): return String(number)
        case .string(let text): return "\"\(text)\""
        }
    }

    /// Equality in the index's sense (byte-identical strings, numeric numbers).
    public static func == (lhs: IndexValue, rhs: IndexValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8)
        default: return false
        }
    }

    /// Hashes consistently with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(typeRank)
        switch self {
        case .null: break
        case .bool(let flag): hasher.combine(flag)
        case .number(let number): hasher.combine(number)
        case .string(let text):
            hasher.combine(text.utf8.count)
            for byte in text.utf8 { hasher.combine(byte) }
        }
    }

    /// The documented total order.
    public static func < (lhs: IndexValue, rhs: IndexValue) -> Bool {
        switch (lhs, rhs) {
        case (.bool(let a), .bool(let b)): return !a && b
        case (.number(let a), .number(let b)): return a < b
        case (.string(let a), .string(let b)): return a.utf8.lexicographicallyPrecedes(b.utf8)
        default: return lhs.typeRank < rhs.typeRank
        }
    }
}
