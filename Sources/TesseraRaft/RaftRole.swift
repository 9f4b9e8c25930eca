/// The role a server plays (§5.1, plus the pre-candidate of the dissertation's §9.6).
public enum RaftRole: Sendable, Hashable {
    /// Follows a leader; may be a voter or a learner.
    case follower
    /// Polls voters with PreVote before disrupting the cluster with a new term.
    case preCandidate
    /// Requests votes for a new term.
    case candidate
    /// Replicates its log and decides commitment.
    case leader
}
