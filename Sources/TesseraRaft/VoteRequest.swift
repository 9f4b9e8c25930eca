/// The arguments of RequestVote (Figure 2) with the PreVote and transfer flags.
public struct VoteRequest: Sendable, Hashable {
    /// Set for a PreVote poll that does not change anyone's term.
    public var preVote: Bool
    /// The index of the candidate's last log entry.
    public var lastIndex: LogIndex
    /// The term of the candidate's last log entry.
    public var lastTerm: Term
    /// Set when the election follows TimeoutNow, so voters ignore their leader lease.
    public var leadershipTransfer: Bool

    /// Creates a vote request.
    public init(preVote: Bool, lastIndex: LogIndex, lastTerm: Term, leadershipTransfer: Bool = false) {
        self.preVote = preVote
        self.lastIndex = lastIndex
        self.lastTerm = lastTerm
        self.leadershipTransfer = leadershipTransfer
    }
}
