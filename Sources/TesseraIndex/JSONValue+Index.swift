import Foundation
import TesseraCore

/// What the indexes need of the project's one JSON type (`TesseraCore.JSONValue`, parsed by `JSONParser`).
extension JSONValue {
    /// Parses one JSON document; bad JSON throws `invalidDocument`.
    public static func parse(_ bytes: [UInt8]) throws(IndexError) -> JSONValue {
        do { return try JSONParser.parse(bytes) } catch { throw IndexError(.invalidDocument, error.message) }
    }

    /// Parses one JSON document from `data`.
    public static func parse(_ data: Data) throws(IndexError) -> JSONValue {
        try parse([UInt8](data))
    }

    /// The value at a dotted path of object members (`"address.city"`), or nil.
    public func value(atPath path: String) -> JSONValue? {
        var current = self
        for component in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard case .object(let members) = current, let next = members[String(component)] else { return nil }
            current = next
        }
        return current
    }

    /// The integer, when this is a number with no fractional part that fits an `Int`.
    public var intValue: Int? {
        guard case .number(let value) = self, value.rounded() == value, abs(value) < 9.0e15 else { return nil }
        return Int(value)
    }
}
