extension RaftNode {
    /// Proposes a single-server membership change (dissertation §4.1, §4.3); returns the entry's index.
    ///
    /// The new membership takes effect on every server as soon as the entry is in its log. The leader refuses
    /// while an earlier change is uncommitted, and until it committed an entry of its own term (the fix of the
    /// single-server bug described in the dissertation's errata and §4.1).
    @discardableResult
    public mutating func proposeMembershipChange(_ change: MembershipChange) throws(RaftError) -> LogIndex {
        guard role == .leader else { throw RaftError(.notLeader, "not the leader", leaderHint: leader) }
        guard committedInCurrentTerm else {
            throw RaftError(.invalidMembershipChange, "leader has not committed an entry in its term yet")
        }
        guard log.membershipIndex <= log.committed else {
            throw RaftError(.invalidMembershipChange, "an earlier membership change is not committed yet")
        }
        let updated = try membership.applying(change)
        if case .addVoter(let id) = change, membership.isLearner(id) {
            // Learners must catch up before they count towards quorums (dissertation §4.2.1).
            guard let match = progress[id]?.match, match >= log.committed else {
                throw RaftError(.learnerNotCaughtUp, "learner \(id) has not caught up with the commit index")
            }
        }
        guard !updated.voters.isEmpty else {
            throw RaftError(.invalidMembershipChange, "a group needs at least one voter")
        }
        let index = try appendProposal(.membership(updated))
        reconcileProgress()
        return index
    }

    /// Hands leadership to `target` (dissertation §3.10): catch it up, then send TimeoutNow.
    public mutating func transferLeadership(to target: NodeID) throws(RaftError) {
        guard role == .leader else { throw RaftError(.notLeader, "not the leader", leaderHint: leader) }
        guard target != config.id, membership.isVoter(target), progress[target] != nil else {
            throw RaftError(.unavailable, "\(target) is not another voter")
        }
        leadTransferee = target
        // A transfer lets the target win without waiting out any lease, so this leader's lease ends here.
        leaseDisabled = true
        electionElapsed = 0
        if progress[target]!.match == log.lastIndex {
            messages.append(send(.timeoutNow, to: target))
        } else {
            sendAppend(to: target, sendIfEmpty: true)
        }
    }
}
