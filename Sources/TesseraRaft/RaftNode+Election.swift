extension RaftNode {
    /// Starts an election, first polling with PreVote when `preVote` is set (§5.2, dissertation §9.6).
    mutating func campaign(preVote: Bool, transfer: Bool) {
        let campaignTerm: Term
        if preVote {
            role = .preCandidate
            leader = nil
            resetCommonState()
            campaignTerm = term + 1
        } else {
            // §5.2: "To begin an election, a follower increments its current term and transitions to candidate
            // state. It then votes for itself and issues RequestVote RPCs in parallel to each of the other servers".
            term += 1
            vote = config.id
            role = .candidate
            leader = nil
            resetCommonState()
            campaignTerm = term
        }
        votes[config.id] = true
        if tallyVotes(preVote: preVote) { return }
        let request = VoteRequest(
            preVote: preVote,
            lastIndex: log.lastIndex,
            lastTerm: log.lastTerm,
            leadershipTransfer: transfer
        )
        for id in membership.voters where id != config.id {
            messages.append(send(.requestVote(request), to: id, term: campaignTerm))
        }
    }

    mutating func handleVoteRequest(_ message: Message, _ request: VoteRequest) {
        // §5.2: "each server will vote for at most one candidate in a given term, on a first-come-first-served
        // basis"; a PreVote for a later term does not bind anyone.
        var canVote =
            vote == message.from || (vote == nil && leader == nil) || (request.preVote && message.term > term)
        if config.faults.contains(.grantMultipleVotesPerTerm) { canVote = true }
        // §5.4.1: "the voter denies its vote if its own log is more up-to-date than that of the candidate".
        var upToDate = log.isUpToDate(lastIndex: request.lastIndex, lastTerm: request.lastTerm)
        if config.faults.contains(.skipUpToDateCheck) { upToDate = true }
        if canVote && upToDate {
            messages.append(
                send(.voteResponse(preVote: request.preVote, granted: true), to: message.from, term: message.term)
            )
            if !request.preVote {
                vote = message.from
                electionElapsed = 0
            }
        } else {
            messages.append(send(.voteResponse(preVote: request.preVote, granted: false), to: message.from))
        }
    }

    mutating func handleVoteResponse(from: NodeID, preVote: Bool, granted: Bool) {
        guard (role == .preCandidate && preVote) || (role == .candidate && !preVote) else { return }
        if votes[from] == nil { votes[from] = granted }
        _ = tallyVotes(preVote: preVote)
    }

    /// Counts votes; wins or loses the (pre-)election when a quorum decided. Returns whether it was decided.
    private mutating func tallyVotes(preVote: Bool) -> Bool {
        let voters = membership.voters
        let granted = voters.filter { votes[$0] == true }.count
        let rejected = voters.filter { votes[$0] == false }.count
        if granted >= membership.quorum {
            if preVote {
                campaign(preVote: false, transfer: false)
            } else {
                becomeLeader()
            }
            return true
        }
        if rejected >= membership.quorum {
            becomeFollower(term: term, leader: nil)
            return true
        }
        return false
    }

    /// §5.3/§8: a new leader resets every follower's progress and appends a no-op of its term so that
    /// entries of earlier terms become committed (and ReadIndex becomes possible).
    mutating func becomeLeader() {
        role = .leader
        leader = config.id
        resetCommonState()
        reconcileProgress()
        log.appendAsLeader([LogEntry(term: term, index: log.lastIndex + 1, payload: .noop)])
        needsBroadcast = true
        maybeCommit()
    }

    /// Makes the leader's progress map match the membership in effect.
    mutating func reconcileProgress() {
        guard role == .leader else { return }
        let members = membership.allMembers.filter { $0 != config.id }
        for id in members where progress[id] == nil {
            progress[id] = Progress(next: log.lastIndex + 1)
        }
        for id in progress.keys.sorted() where !members.contains(id) {
            progress[id] = nil
        }
    }
}
