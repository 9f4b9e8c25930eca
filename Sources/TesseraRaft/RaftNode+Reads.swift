extension RaftNode {
    /// Requests a linearizable read (dissertation §6.4); a `ReadState` carrying `context` appears in a later
    /// `Ready` once leadership is confirmed, and the read may be served when the state machine applied its index.
    public mutating func readIndex(context: UInt64) throws(RaftError) {
        precondition(!awaitingAdvance, "readIndex before advance")
        guard role == .leader else { throw RaftError(.notLeader, "not the leader", leaderHint: leader) }
        if config.readMode == .lease, committedInCurrentTerm, leaseIsValid {
            readStates.append(ReadState(index: log.committed, context: context))
            return
        }
        guard pendingReads.count < config.maxPendingReads else {
            throw RaftError(.proposalDropped, "too many reads waiting", leaderHint: leader)
        }
        // §6.4 step 1: the leader needs an entry of its own term committed to know the latest commit index.
        let index: LogIndex? = committedInCurrentTerm ? log.committed : nil
        pendingReads.append(PendingRead(context: context, index: index))
        if index != nil, membership.voters == [config.id] { releaseReads() }
    }

    /// Whether the leader lease (`ReadMode.lease`) currently holds.
    var leaseIsValid: Bool {
        guard let start = leaseStartTick, !leaseDisabled, config.checkQuorum else { return false }
        let duration = config.electionTicks - config.leaseDriftTicks
        return duration > 0 && ticks < start + UInt64(duration)
    }

    /// Gives waiting reads their index and a heartbeat round that will confirm leadership (§6.4 step 2).
    mutating func scheduleReadRounds() {
        guard committedInCurrentTerm, pendingReads.contains(where: { $0.round == 0 }) else { return }
        for position in pendingReads.indices where pendingReads[position].round == 0 {
            if pendingReads[position].index == nil { pendingReads[position].index = log.committed }
            pendingReads[position].round = heartbeatRound + 1
        }
        broadcastHeartbeat()
    }

    /// Releases the reads whose round a quorum of voters acknowledged, and renews the lease.
    mutating func releaseReads() {
        var acked: [UInt64] = []
        for id in membership.voters {
            acked.append(id == config.id ? heartbeatRound : (progress[id]?.ackedRound ?? 0))
        }
        guard !acked.isEmpty else { return }
        acked.sort(by: >)
        let quorumRound = acked[membership.quorum - 1]
        if quorumRound > 0, let sent = roundTicks[quorumRound] {
            leaseStartTick = max(leaseStartTick ?? 0, sent)
        }
        for round in roundTicks.keys.sorted() where round < quorumRound { roundTicks[round] = nil }
        var remaining: [PendingRead] = []
        for read in pendingReads {
            if read.round > 0, read.round <= quorumRound, let index = read.index {
                readStates.append(ReadState(index: index, context: read.context))
            } else {
                remaining.append(read)
            }
        }
        pendingReads = remaining
    }
}
