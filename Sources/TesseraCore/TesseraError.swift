/// The error codes of API.md, each with its HTTP status.
public enum ErrorCode: String, Sendable, CaseIterable {
    case badRequest = "bad_request"
    case crossPartition = "cross_partition"
    case unauthorized
    case forbidden
    case wrongKey = "wrong_key"
    case notFound = "not_found"
    case keyspaceNotFound = "keyspace_not_found"
    case leaseNotFound = "lease_not_found"
    case methodNotAllowed = "method_not_allowed"
    case lockHeld = "lock_held"
    case fenced
    case conflict
    case cursorExpired = "cursor_expired"
    case preconditionFailed = "precondition_failed"
    case payloadTooLarge = "payload_too_large"
    case rateLimited = "rate_limited"
    case unavailable
    case timeout
    case `internal`

    /// The HTTP status this code is answered with.
    public var httpStatus: Int {
        switch self {
        case .badRequest, .crossPartition: 400
        case .unauthorized: 401
        case .forbidden, .wrongKey: 403
        case .notFound, .keyspaceNotFound, .leaseNotFound: 404
        case .methodNotAllowed: 405
        case .lockHeld, .fenced, .conflict: 409
        case .cursorExpired: 410
        case .preconditionFailed: 412
        case .payloadTooLarge: 413
        case .rateLimited: 429
        case .unavailable: 503
        case .timeout: 504
        case .internal: 500
        }
    }
}

/// An error that reaches a client: a code, a human message, and optional details merged into the JSON body.
public struct TesseraError: Error, Sendable, CustomStringConvertible {
    /// The machine-readable code.
    public var code: ErrorCode
    /// The human-readable message.
    public var message: String
    /// Extra fields of the error object (for example the holder of a lock or the current version).
    public var details: [String: DetailValue]
    /// The lower-level error this one wraps, if any.
    public var cause: String?

    /// A detail value: a string or an integer.
    public enum DetailValue: Sendable, Equatable {
        case string(String)
        case int(Int64)
    }

    /// Creates an error.
    public init(_ code: ErrorCode, _ message: String, details: [String: DetailValue] = [:], cause: String? = nil) {
        self.code = code
        self.message = message
        self.details = details
        self.cause = cause
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// A 400 with `message`.
    public static func badRequest(_ message: String) -> Self { .init(.badRequest, message) }
}
