/// The state a server must persist before it answers any message (Figure 2, "Persistent state on all servers").
public struct HardState: Sendable, Hashable {
    /// The latest term this server has seen.
    public var term: Term
    /// The candidate that received this server's vote in `term`, if any.
    public var vote: NodeID?
    /// The highest log index known to be committed (persisted so restarts need not relearn it).
    public var commit: LogIndex

    /// Creates a hard state.
    public init(term: Term = 0, vote: NodeID? = nil, commit: LogIndex = 0) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }
}
