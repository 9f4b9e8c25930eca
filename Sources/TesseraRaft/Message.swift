/// A message between two members of a group.
public struct Message: Sendable, Hashable {
    /// The sender.
    public var from: NodeID
    /// The recipient.
    public var to: NodeID
    /// The sender's term (for a pre-vote request, the term it would campaign in).
    public var term: Term
    /// What the message says.
    public var kind: Kind

    /// Creates a message.
    public init(from: NodeID, to: NodeID, term: Term, kind: Kind) {
        self.from = from
        self.to = to
        self.term = term
        self.kind = kind
    }

    /// The kinds of message of the protocol (Figure 2, §6 and the dissertation's chapters 3, 4, 6, 9).
    public enum Kind: Sendable, Hashable {
        /// RequestVote, or the PreVote poll when `preVote` is set.
        case requestVote(VoteRequest)
        /// The answer to a (pre-)vote request.
        case voteResponse(preVote: Bool, granted: Bool)
        /// AppendEntries carrying entries.
        case appendEntries(AppendRequest)
        /// The answer to AppendEntries or InstallSnapshot.
        case appendResponse(AppendResponse)
        /// An empty AppendEntries: keeps followers quiet and confirms leadership for reads.
        case heartbeat(commit: LogIndex, round: UInt64)
        /// The answer to a heartbeat, echoing its round.
        case heartbeatResponse(round: UInt64)
        /// InstallSnapshot for a follower whose next entry was compacted away (§7).
        case installSnapshot(Snapshot)
        /// Tells the transfer target to start an election at once (dissertation §3.10).
        case timeoutNow
    }
}
