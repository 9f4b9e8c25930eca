/// A key compared, hashed and ordered by its UTF-8 bytes (Swift's `String` equality would merge canonically
/// equivalent keys, which a database must not do).
public struct ItemKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The key's text.
    public let string: String

    /// Wraps a key.
    public init(_ string: String) {
        var copy = string
        copy.makeContiguousUTF8()
        self.string = copy
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.string.utf8.elementsEqual(rhs.string.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        var copy = string
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.string.utf8.lexicographicallyPrecedes(rhs.string.utf8)
    }

    /// Whether the key's bytes begin with `prefix`'s bytes.
    public func hasPrefix(_ prefix: String) -> Bool {
        string.utf8.starts(with: prefix.utf8)
    }

    public var description: String { string }
}
