/// A single-server membership change (dissertation §4.1): at most one voter is added or removed at a time.
public enum MembershipChange: Sendable, Hashable {
    /// Adds a voter, or promotes a learner to voter.
    case addVoter(NodeID)
    /// Adds a non-voting learner.
    case addLearner(NodeID)
    /// Removes a voter or a learner.
    case remove(NodeID)
}
