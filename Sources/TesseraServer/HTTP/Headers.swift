import Foundation
import HTTPTypes
import Hummingbird
import TesseraCluster
import TesseraCore
import TesseraStorage

/// Parsing of Tessera's request headers.
enum Headers {
    static let fence = HTTPField.Name("Tessera-Fence")!
    static let consistency = HTTPField.Name("Tessera-Consistency")!
    static let expiresAt = HTTPField.Name("Tessera-Expires-At")!

    /// The longest TTL accepted: ten years.
    static let ttlSecondsMax = 10 * 365 * 86400.0

    /// Validates `Tessera-Consistency` (a single node meets every level).
    @discardableResult
    static func checkConsistency(_ request: Request) throws(TesseraError) -> ReadWriteConsistency {
        guard let value = request.headers[consistency] else { return .quorum }
        guard let parsed = ReadWriteConsistency(rawValue: value.lowercased()) else {
            throw .badRequest("Tessera-Consistency must be one, quorum or all")
        }
        return parsed
    }

    /// `?ttl=SECONDS` (decimals allowed) in milliseconds.
    static func ttlMs(_ text: String?) throws(TesseraError) -> Int64? {
        guard let text else { return nil }
        guard let seconds = Double(text), seconds.isFinite, seconds > 0, seconds <= ttlSecondsMax else {
            throw .badRequest("ttl must be a number of seconds greater than 0 and at most \(Int(ttlSecondsMax))")
        }
        return max(1, Int64((seconds * 1000).rounded()))
    }

    /// The entity tags of an `If-Match` / `If-None-Match` header, unquoted.
    static func etagList(_ value: String) -> [String] {
        value.split(separator: ",").map { tag in
            var t = tag.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("W/") { t.removeFirst(2) }
            if t.count >= 2, t.hasPrefix("\""), t.hasSuffix("\"") { t = String(t.dropFirst().dropLast()) }
            return t
        }
    }

    /// The write precondition of `If-Match` / `If-None-Match: *`.
    static func writeCondition(_ request: Request, forPut: Bool) throws(TesseraError) -> WriteCondition {
        if let match = request.headers[.ifMatch] {
            let tags = etagList(match)
            guard tags.count == 1, let tag = tags.first, !tag.isEmpty else {
                throw .badRequest("If-Match must carry exactly one version")
            }
            if tag == "*" { return .none }
            return .ifMatch(tag)
        }
        if let noneMatch = request.headers[.ifNoneMatch] {
            guard forPut, noneMatch.trimmingCharacters(in: .whitespaces) == "*" else {
                throw .badRequest("only If-None-Match: * is supported on writes")
            }
            return .ifAbsent
        }
        return .none
    }

    /// `Tessera-Fence: <lock>:<token>`.
    static func fence(_ request: Request) throws(TesseraError) -> Fence? {
        guard let value = request.headers[fence] else { return nil }
        guard let colon = value.lastIndex(of: ":"), let token = UInt64(value[value.index(after: colon)...]) else {
            throw .badRequest("Tessera-Fence must be <lock>:<token>")
        }
        let name = String(value[..<colon])
        try Names.validateName(name, kind: "lock")
        return Fence(lock: name, token: token)
    }
}
