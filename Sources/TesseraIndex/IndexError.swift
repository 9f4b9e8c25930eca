/// A refusal by an index: a bad definition, document or query. The server answers 400 `bad_request`.
public struct IndexError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of input was refused.
    public enum Code: String, Sendable, Equatable {
        /// The index definition is malformed (unknown type, missing field, bad parameter).
        case invalidDefinition = "invalid_definition"
        /// A written document carries a bad value in an indexed field (NaN, wrong dimension, bad lat/lon).
        case invalidDocument = "invalid_document"
        /// The query is malformed or does not fit the index (wrong type, huge k, bad cursor).
        case invalidQuery = "invalid_query"
        /// The query names no index of the keyspace.
        case unknownIndex = "unknown_index"
    }

    /// What kind of input was refused.
    public var code: Code
    /// Human text for the API's `error.message`.
    public var message: String

    /// Creates an error with its code and message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message prefixed with the code.
    public var description: String { "\(code.rawValue): \(message)" }
}
