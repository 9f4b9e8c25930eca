/// An item key compared by its UTF-8 bytes.
///
/// Swift's `String` equality is canonical equivalence ("é" precomposed equals "e" + U+0301), but the
/// store's keys are byte strings: two keys that differ only in normalisation are two items.
struct ItemKey: Hashable, Sendable {
    var string: String

    init(_ string: String) { self.string = string }

    static func == (lhs: ItemKey, rhs: ItemKey) -> Bool { lhs.string.utf8.elementsEqual(rhs.string.utf8) }

    func hash(into hasher: inout Hasher) {
        var copy = string
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
