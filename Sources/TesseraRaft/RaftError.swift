/// An error returned by the Raft library: a code, a message and, where one exists, a leader hint.
public struct RaftError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: Sendable, Hashable {
        /// The operation needs the leader and this node is not it.
        case notLeader
        /// A leadership transfer is in progress; proposals are refused until it ends.
        case transferInProgress
        /// A membership change is refused (pending change, no commit in this term, or a no-op change).
        case invalidMembershipChange
        /// A learner must catch up before it can be promoted.
        case learnerNotCaughtUp
        /// Too many proposals are uncommitted or reads pending; the caller should back off.
        case proposalDropped
        /// The requested index was compacted or is not yet applied.
        case compacted
        /// The request names an index that does not exist.
        case unavailable
    }

    /// What went wrong.
    public var code: Code
    /// A human-readable explanation.
    public var message: String
    /// The leader this node knows of, so a caller can redirect.
    public var leaderHint: NodeID?

    /// Creates an error.
    public init(_ code: Code, _ message: String, leaderHint: NodeID? = nil) {
        self.code = code
        self.message = message
        self.leaderHint = leaderHint
    }

    /// A one-line description.
    public var description: String { "RaftError(\(code)): \(message)" }
}
