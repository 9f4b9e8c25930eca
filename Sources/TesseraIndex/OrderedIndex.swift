import Foundation
import TesseraCore

/// A composite ordered index: items sorted by the values of `fields` (then by key), fed by change events.
///
/// An item is indexed only when every field is present with a scalar value (null, bool, number,
/// string); arrays and objects count as missing. See `IndexValue` for the total order.
public struct OrderedIndex: Sendable {
    /// The indexed field paths, most significant first.
    public let fields: [String]
    private var entries = SortedChunks<OrderedEntry>()
    private var valuesByKey: [ItemKey: [IndexValue]] = [:]

    /// Creates an empty index over `fields`.
    public init(fields: [String]) {
        precondition(!fields.isEmpty, "an ordered index needs at least one field")
        self.fields = fields
    }

    /// Number of indexed items.
    public var count: Int { valuesByKey.count }

    /// The values this index would hold for `document`, or nil when it would not index it.
    public func values(of document: JSONValue) -> [IndexValue]? {
        var values: [IndexValue] = []
        values.reserveCapacity(fields.count)
        for field in fields {
            guard let json = document.value(atPath: field), let value = IndexValue(json) else { return nil }
            values.append(value)
        }
        return values
    }

    /// Indexes (or re-indexes) the item `key`; an item lacking a field is removed from the index.
    public mutating func upsert(key: String, document: JSONValue) {
        let values = values(of: document)
        if let old = valuesByKey[ItemKey(key)] {
            if let values, old == values { return }
            entries.remove(OrderedEntry(values: old, key: key))
            valuesByKey[ItemKey(key)] = nil
        }
        guard let values else { return }
        entries.insert(OrderedEntry(values: values, key: key))
        valuesByKey[ItemKey(key)] = values
    }

    /// Removes the item `key` (a delete or an expiry); absent keys are ignored.
    public mutating func remove(key: String) {
        guard let old = valuesByKey.removeValue(forKey: ItemKey(key)) else { return }
        entries.remove(OrderedEntry(values: old, key: key))
    }

    /// The matching items in index order, at most `query.limit`, with a cursor when more follow.
    public func query(_ query: OrderedQuery, keyFilter: ((String) -> Bool)? = nil) throws(IndexError) -> OrderedResult {
        guard (1...OrderedQuery.limitMax).contains(query.limit) else {
            throw OrderedQuery.bad("'limit' must be between 1 and \(OrderedQuery.limitMax)")
        }
        let prefix = query.equal
        guard prefix.count <= fields.count, query.range == nil || prefix.count < fields.count else {
            throw OrderedQuery.bad("the query names more fields than the index has (\(fields.count))")
        }
        let after = try query.cursor.map { cursor throws(IndexError) in try decodeCursor(cursor) }
        let bounds = query.range?.effective
        let lower = bounds?.lower
        let upper = bounds?.upper
        let rangeField = prefix.count
        let start = entries.partitionPoint { entry in
            let order = Self.comparePrefix(entry.values, prefix)
            if order != 0 { return order < 0 }
            if let after, !(after < entry) { return true }
            guard let (low, inclusive) = lower else { return false }
            let value = entry.values[rangeField]
            return value < low || (!inclusive && value == low)
        }
        var hits: [OrderedHit] = []
        var more = false
        entries.forEach(from: start) { entry in
            if Self.comparePrefix(entry.values, prefix) != 0 { return false }
            if let (high, inclusive) = upper {
                let value = entry.values[rangeField]
                if high < value || (!inclusive && value == high) { return false }
            }
            if let keyFilter, !keyFilter(entry.key) { return true }
            if hits.count == query.limit {
                more = true
                return false
            }
            hits.append(OrderedHit(key: entry.key, values: entry.values))
            return true
        }
        let next = more ? hits.last.map { encodeCursor(OrderedEntry(values: $0.values, key: $0.key)) } : nil
        return OrderedResult(hits: hits, next: next)
    }

    private static func comparePrefix(_ values: [IndexValue], _ prefix: [IndexValue]) -> Int {
        for index in 0..<prefix.count {
            if values[index] < prefix[index] { return -1 }
            if prefix[index] < values[index] { return 1 }
        }
        return 0
    }

    private func encodeCursor(_ entry: OrderedEntry) -> String {
        let json = JSONValue.array(entry.values.map(\.json) + [.string(entry.key)])
        return Data(json.serialized.utf8).base64EncodedString()
    }

    private func decodeCursor(_ cursor: String) throws(IndexError) -> OrderedEntry {
        guard let data = Data(base64Encoded: cursor), let json = try? JSONValue.parse(data),
            case .array(let items) = json, items.count == fields.count + 1, let key = items.last?.stringValue
        else { throw OrderedQuery.bad("malformed cursor") }
        var values: [IndexValue] = []
        for item in items.dropLast() {
            guard let value = IndexValue(item) else { throw OrderedQuery.bad("malformed cursor") }
            values.append(value)
        }
        return OrderedEntry(values: values, key: key)
    }
}

/// One sorted entry: the indexed values, then the key as a tie-breaker.
struct OrderedEntry: Comparable, Sendable {
    var values: [IndexValue]
    var key: String

    static func == (lhs: OrderedEntry, rhs: OrderedEntry) -> Bool {
        lhs.values == rhs.values && lhs.key.utf8.elementsEqual(rhs.key.utf8)
    }

    static func < (lhs: OrderedEntry, rhs: OrderedEntry) -> Bool {
        for index in 0..<min(lhs.values.count, rhs.values.count) {
            if lhs.values[index] < rhs.values[index] { return true }
            if rhs.values[index] < lhs.values[index] { return false }
        }
        if lhs.values.count != rhs.values.count { return lhs.values.count < rhs.values.count }
        return lhs.key.utf8.lexicographicallyPrecedes(rhs.key.utf8)
    }
}
