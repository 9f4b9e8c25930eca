/// The result of AppendEntries or InstallSnapshot, with the fast-backtracking hint of §5.3.
public struct AppendResponse: Sendable, Hashable {
    /// Whether the follower's log now matches the leader's up to `index`.
    public var success: Bool
    /// On success the follower's matching index; on rejection the `prevIndex` that was rejected.
    public var index: LogIndex
    /// On rejection, the term of the follower's conflicting entry (nil if its log is too short).
    public var conflictTerm: Term?
    /// On rejection, the first index of `conflictTerm` in the follower's log, or its last index + 1.
    public var conflictIndex: LogIndex

    /// Creates an append response.
    public init(success: Bool, index: LogIndex, conflictTerm: Term? = nil, conflictIndex: LogIndex = 0) {
        self.success = success
        self.index = index
        self.conflictTerm = conflictTerm
        self.conflictIndex = conflictIndex
    }
}
