extension RaftNode {
    /// Handles one message from another member.
    public mutating func step(_ message: Message) {
        precondition(!awaitingAdvance, "step before advance")
        guard message.to == config.id, message.from != config.id else { return }
        guard handleTerm(of: message) else { return }

        switch message.kind {
        case .requestVote(let request):
            handleVoteRequest(message, request)
        case .voteResponse(let preVote, let granted):
            handleVoteResponse(from: message.from, preVote: preVote, granted: granted)
        case .appendEntries(let request):
            guard acceptLeader(message) else { return }
            handleAppend(from: message.from, request)
        case .heartbeat(let commit, let round):
            guard acceptLeader(message) else { return }
            log.commit(to: min(commit, log.lastIndex))
            messages.append(send(.heartbeatResponse(round: round), to: message.from))
        case .installSnapshot(let snapshot):
            guard acceptLeader(message) else { return }
            handleSnapshot(from: message.from, snapshot)
        case .appendResponse(let response):
            guard role == .leader, progress[message.from] != nil else { return }
            handleAppendResponse(from: message.from, response)
        case .heartbeatResponse(let round):
            guard role == .leader, progress[message.from] != nil else { return }
            handleHeartbeatResponse(from: message.from, round: round)
        case .timeoutNow:
            // Dissertation §3.10: the target starts an election at once, skipping PreVote.
            guard role != .leader, isPromotable else { return }
            campaign(preVote: false, transfer: true)
        }
    }

    /// Applies the term rules of Figure 2 ("If RPC request or response contains term T > currentTerm: set
    /// currentTerm = T, convert to follower") with the PreVote and lease exceptions. Returns whether the message
    /// should be processed further.
    private mutating func handleTerm(of message: Message) -> Bool {
        if message.term > term {
            if case .requestVote(let request) = message.kind {
                // Dissertation §4.2.3 / §6.2: while a follower hears from a leader it ignores vote requests, so a
                // removed or partitioned server cannot depose a working leader; TimeoutNow elections are exempt.
                let heardLeader = leader != nil || startupQuiet
                let inLease = config.checkQuorum && heardLeader && electionElapsed < config.electionTicks
                if inLease && !request.leadershipTransfer { return false }
                if request.preVote { return true }  // a PreVote poll changes nobody's term
            }
            if case .voteResponse(true, true) = message.kind { return true }  // granted poll for our future term
            switch message.kind {
            case .appendEntries, .heartbeat, .installSnapshot:
                becomeFollower(term: message.term, leader: message.from)
            default:
                becomeFollower(term: message.term, leader: nil)
            }
            return true
        }
        if message.term < term {
            switch message.kind {
            case .appendEntries, .heartbeat, .installSnapshot:
                // A stale leader learns of the newer term from this answer and steps down (§5.1).
                if config.checkQuorum || config.preVote {
                    messages.append(send(.appendResponse(AppendResponse(success: false, index: 0)), to: message.from))
                }
            case .requestVote(let request) where request.preVote:
                messages.append(send(.voteResponse(preVote: true, granted: false), to: message.from))
            default:
                break
            }
            return false
        }
        return true
    }

    /// A leader's message in the current term: candidates yield (§5.2), followers reset their timer.
    private mutating func acceptLeader(_ message: Message) -> Bool {
        if role == .leader {
            // Election safety makes this impossible; ignore rather than trust a second leader.
            return false
        }
        if role != .follower || leader != message.from {
            becomeFollower(term: term, leader: message.from)
        }
        electionElapsed = 0
        startupQuiet = false
        return true
    }

    // MARK: - Role changes

    mutating func becomeFollower(term newTerm: Term, leader newLeader: NodeID?) {
        if newTerm != term {
            term = newTerm
            vote = nil
        }
        role = .follower
        leader = newLeader
        resetCommonState()
    }

    mutating func resetCommonState() {
        resetElectionTimer()
        heartbeatElapsed = 0
        votes = [:]
        progress = [:]
        leadTransferee = nil
        leaseDisabled = false
        leaseStartTick = nil
        pendingReads = []
        needsBroadcast = false
    }
}
