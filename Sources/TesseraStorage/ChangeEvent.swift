import TesseraCore

/// One committed change of a keyspace, as streamed to watchers.
public struct ChangeEvent: Sendable, Equatable {
    /// What happened.
    public enum Kind: String, Sendable {
        case put, delete, expire
    }

    /// The log sequence number: the event's position, and the cursor that resumes after it.
    public var lsn: UInt64
    /// What happened.
    public var kind: Kind
    /// The key.
    public var key: String
    /// The version written (for deletes, the version of the deletion).
    public var version: Version
    /// The value written (puts only).
    public var value: [UInt8]?
    /// The value's content type (puts only).
    public var contentType: String?

    /// When it was committed (Unix ms).
    public var tsMs: Int64 { version.timestamp.physicalMs }
}
