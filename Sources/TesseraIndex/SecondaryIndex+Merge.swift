import TesseraCore

extension SecondaryIndex {
    /// How many hits a query asks for (its `limit` or `k`, or the kind's default): the size of a merged
    /// answer when the query fans out to several nodes.
    public func resultLimit(_ query: JSONValue) -> Int {
        let limit = query["limit"]?.intValue
        let k = query["k"]?.intValue
        switch definition.kind {
        case .ordered: return limit ?? OrderedQuery.limitDefault
        case .geo:
            if query["nearest"] != nil { return k ?? limit ?? 10 }
            return limit ?? GeoIndex.limitDefault
        case .vector: return k ?? 10
        case .text: return limit ?? TextQuery.limitDefault
        }
    }

    /// The ordered index's values of a document (the sort key of its hit), nil for other kinds or when the
    /// document lacks a field.
    public func sortValues(of document: JSONValue) -> [IndexValue]? {
        guard definition.kind == .ordered else { return nil }
        var values: [IndexValue] = []
        for field in definition.fields {
            guard let json = document.value(atPath: field), let value = IndexValue(json) else { return nil }
            values.append(value)
        }
        return values
    }

    /// Whether hit `a` comes before hit `b` in the order API.md prescribes for this index kind (ordered hits
    /// compare their `sortValues`, then keys).
    public func ranks(_ a: IndexHit, _ aValues: [IndexValue]?, before b: IndexHit, _ bValues: [IndexValue]?) -> Bool {
        switch definition.kind {
        case .ordered:
            let left = aValues ?? []
            let right = bValues ?? []
            if left != right { return left.lexicographicallyPrecedes(right) }
            return a.key < b.key
        case .geo:
            let left = a.distanceM ?? 0
            let right = b.distanceM ?? 0
            return left != right ? left < right : a.key < b.key
        case .vector:
            let left = a.score ?? 0
            let right = b.score ?? 0
            if left == right { return a.key < b.key }
            return definition.metric == .l2 ? left < right : left > right
        case .text:
            let left = a.score ?? 0
            let right = b.score ?? 0
            return left != right ? left > right : a.key < b.key
        }
    }

    /// The resume cursor of an ordered hit (the same form the ordered index issues).
    public static func orderedCursor(values: [IndexValue], key: String) -> String {
        let json = JSONValue.array(values.map(\.json) + [.string(key)])
        return Base64.encode(Array(json.serialized.utf8))
    }
}

/// Standard base64 (with padding), without Foundation.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(index + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
