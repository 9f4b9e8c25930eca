/// The members of a group: voters decide elections and commitment, learners only receive the log.
public struct Membership: Sendable, Hashable {
    /// Voting members, sorted ascending so iteration is deterministic.
    public private(set) var voters: [NodeID]
    /// Non-voting members, sorted ascending and disjoint from `voters`.
    public private(set) var learners: [NodeID]

    /// Creates a membership; a node listed in both is a voter.
    public init(voters: [NodeID], learners: [NodeID] = []) {
        let voterSet = Set(voters)
        self.voters = voterSet.sorted()
        self.learners = Set(learners).subtracting(voterSet).sorted()
    }

    /// An empty membership, the state of a node that has not yet learned its group.
    public static let empty = Membership(voters: [])

    /// Every member, voters first.
    public var allMembers: [NodeID] { voters + learners }

    /// Whether `id` is a voter.
    public func isVoter(_ id: NodeID) -> Bool { voters.contains(id) }

    /// Whether `id` is a learner.
    public func isLearner(_ id: NodeID) -> Bool { learners.contains(id) }

    /// Whether `id` is a voter or a learner.
    public func contains(_ id: NodeID) -> Bool { isVoter(id) || isLearner(id) }

    /// The number of voters forming a majority.
    public var quorum: Int { voters.count / 2 + 1 }

    /// The membership after applying `change`, or a typed error if the change is meaningless.
    public func applying(_ change: MembershipChange) throws(RaftError) -> Membership {
        switch change {
        case .addVoter(let id):
            if isVoter(id) { throw RaftError(.invalidMembershipChange, "\(id) is already a voter") }
            return Membership(voters: voters + [id], learners: learners.filter { $0 != id })
        case .addLearner(let id):
            if contains(id) { throw RaftError(.invalidMembershipChange, "\(id) is already a member") }
            return Membership(voters: voters, learners: learners + [id])
        case .remove(let id):
            if !contains(id) { throw RaftError(.invalidMembershipChange, "\(id) is not a member") }
            return Membership(voters: voters.filter { $0 != id }, learners: learners.filter { $0 != id })
        }
    }
}
