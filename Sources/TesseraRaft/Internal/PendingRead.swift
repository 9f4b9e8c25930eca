/// A ReadIndex request waiting for its index or for a quorum to confirm leadership (dissertation §6.4).
struct PendingRead: Sendable {
    /// The caller's token.
    var context: UInt64
    /// The commit index recorded for the read; nil until the leader has committed an entry of its term.
    var index: LogIndex?
    /// The heartbeat round whose quorum acknowledgement releases the read; 0 until one is scheduled.
    var round: UInt64 = 0
}
