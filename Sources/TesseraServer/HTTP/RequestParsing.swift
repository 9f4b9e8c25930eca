import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TesseraCore

/// Reading path parameters, query parameters, headers and bodies with API.md's validation.
extension Request {
    /// A path parameter that must be a valid name.
    func name(_ parameter: String, _ context: some RequestContext, kind: String) throws(TesseraError) -> String {
        guard let raw = context.parameters.get(parameter) else { throw .badRequest("missing \(kind)") }
        guard let decoded = Names.percentDecode(raw) else { throw .badRequest("invalid percent-encoding in \(kind)") }
        try Names.validateName(decoded, kind: kind)
        return decoded
    }

    /// The percent-decoded, validated key parameter.
    func key(_ context: some RequestContext) throws(TesseraError) -> String {
        guard let raw = context.parameters.get("key") else { throw .badRequest("missing key") }
        guard let decoded = Names.percentDecode(raw) else {
            throw .badRequest("invalid percent-encoding or UTF-8 in key")
        }
        try Names.validateKey(decoded)
        return decoded
    }

    /// A query parameter.
    func query(_ name: String) -> String? { uri.queryParameters.get(name) }

    /// An integer query parameter within `range`; nil when absent.
    func queryInt(_ name: String, in range: ClosedRange<Int>) throws(TesseraError) -> Int? {
        guard let text = query(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw .badRequest("\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// A boolean query parameter; nil when absent.
    func queryBool(_ name: String) throws(TesseraError) -> Bool? {
        guard let text = query(name) else { return nil }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw .badRequest("\(name) must be true or false")
        }
    }

    /// A header's value.
    func header(_ name: String) -> String? {
        guard let field = HTTPField.Name(name) else { return nil }
        return headers[field]
    }

    /// The body, at most `limit` bytes (413 beyond).
    func bodyBytes(limit: Int) async throws -> [UInt8] {
        do {
            let buffer = try await body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw TesseraError(.payloadTooLarge, "the body is larger than \(limit) bytes")
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw TesseraError(.payloadTooLarge, "the body is larger than \(limit) bytes")
        }
    }

    /// The body parsed as a JSON object (an empty body is an empty object).
    func jsonObject(limit: Int = 1 << 20) async throws -> [String: JSONValue] {
        let bytes = try await bodyBytes(limit: limit)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return [:] }
        guard case .object(let object) = try JSONParser.parse(bytes) else {
            throw TesseraError.badRequest("the body must be a JSON object")
        }
        return object
    }
}

/// Typed access to the members of a JSON request body, with 400s that name the member.
struct JSONFields {
    let object: [String: JSONValue]

    func string(_ name: String) throws(TesseraError) -> String? {
        guard let value = object[name], value != .null else { return nil }
        guard case .string(let s) = value else { throw .badRequest("\(name) must be a string") }
        return s
    }

    func int(_ name: String, in range: ClosedRange<Int64>) throws(TesseraError) -> Int64? {
        guard let value = object[name], value != .null else { return nil }
        guard let n = value.int64Value, range.contains(n) else {
            throw .badRequest("\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return n
    }

    func number(_ name: String) throws(TesseraError) -> Double? {
        guard let value = object[name], value != .null else { return nil }
        guard case .number(let n) = value, n.isFinite else { throw .badRequest("\(name) must be a number") }
        return n
    }

    func bool(_ name: String) throws(TesseraError) -> Bool? {
        guard let value = object[name], value != .null else { return nil }
        guard case .bool(let b) = value else { throw .badRequest("\(name) must be true or false") }
        return b
    }

    /// Rejects members other than `allowed`, so typos do not pass silently.
    func only(_ allowed: Set<String>) throws(TesseraError) {
        for name in object.keys where !allowed.contains(name) {
            throw .badRequest("unknown field \(name)")
        }
    }
}
