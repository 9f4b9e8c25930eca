import Foundation
import TesseraCore

/// A query of an ordered index: equality on a prefix of its fields plus an optional range on the next one.
public struct OrderedQuery: Sendable, Equatable {
    /// Default number of hits.
    public static let limitDefault = 100
    /// Largest accepted `limit`.
    public static let limitMax = 10_000

    /// Values for the first `equal.count` fields, in field order.
    public var equal: [IndexValue]
    /// A range on field number `equal.count`, if any.
    public var range: OrderedRange?
    /// Maximum number of hits.
    public var limit: Int
    /// Resume after the hit this cursor was returned with (`OrderedResult.next`).
    public var cursor: String?

    /// Creates a query.
    public init(equal: [IndexValue] = [], range: OrderedRange? = nil, limit: Int = limitDefault, cursor: String? = nil)
    {
        self.equal = equal
        self.range = range
        self.limit = limit
        self.cursor = cursor
    }

    /// Decodes API.md's shape `{"eq": {...}, "range": {"f": {"gte": 1}}, "limit": 50, "cursor": "..."}`.
    ///
    /// `eq` must name exactly the first n fields of the index, `range` at most the field after them.
    public init(json: JSONValue, fields: [String]) throws(IndexError) {
        self.init()
        var equalByField: [String: JSONValue] = [:]
        if let eq = json["eq"] {
            guard case .object(let members) = eq else { throw Self.bad("'eq' must be an object of field values") }
            equalByField = members
        }
        for field in fields.prefix(equalByField.count) {
            guard let value = equalByField[field] else {
                throw Self.bad("'eq' must name a prefix of the index fields \(fields)")
            }
            guard let scalar = IndexValue(value) else { throw Self.bad("'eq.\(field)' must be a scalar") }
            equal.append(scalar)
        }
        guard equal.count == equalByField.count else {
            throw Self.bad("'eq' must name a prefix of the index fields \(fields)")
        }
        if let rangeJSON = json["range"] {
            guard case .object(let members) = rangeJSON, members.count == 1, let (field, bounds) = members.first else {
                throw Self.bad("'range' must name exactly one field")
            }
            guard equal.count < fields.count, fields[equal.count] == field else {
                throw Self.bad("'range' must be on the field after the 'eq' prefix")
            }
            range = try OrderedRange(json: bounds)
        }
        if let limitJSON = json["limit"] {
            guard let limit = limitJSON.intValue else { throw Self.bad("'limit' must be an integer") }
            self.limit = limit
        }
        if let cursorJSON = json["cursor"], cursorJSON != .null {
            guard let cursor = cursorJSON.stringValue else { throw Self.bad("'cursor' must be a string") }
            self.cursor = cursor
        }
    }

    static func bad(_ message: String) -> IndexError { IndexError(.invalidQuery, message) }
}

/// One hit of an ordered query.
public struct OrderedHit: Sendable, Equatable {
    /// The item's key.
    public var key: String
    /// The indexed values, in field order.
    public var values: [IndexValue]
}

/// The hits of an ordered query, in index order, and the cursor to resume after them.
public struct OrderedResult: Sendable, Equatable {
    /// Hits in index order (then by key, in byte order).
    public var hits: [OrderedHit]
    /// Opaque cursor to pass as `cursor` for the next page; nil when there is none.
    public var next: String?
}
