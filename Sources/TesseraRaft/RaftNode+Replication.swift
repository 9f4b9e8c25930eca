extension RaftNode {
    /// Appends a command to the leader's log; it is sent with the next `ready()` (batched with other proposals).
    /// Returns the index the command will occupy if it commits.
    @discardableResult
    public mutating func propose(_ data: [UInt8]) throws(RaftError) -> LogIndex {
        try appendProposal(.command(data))
    }

    mutating func appendProposal(_ payload: LogEntry.Payload) throws(RaftError) -> LogIndex {
        precondition(!awaitingAdvance, "propose before advance")
        guard role == .leader else { throw RaftError(.notLeader, "not the leader", leaderHint: leader) }
        guard leadTransferee == nil else {
            throw RaftError(.transferInProgress, "leadership transfer in progress", leaderHint: leader)
        }
        guard log.lastIndex - log.committed < LogIndex(config.maxUncommittedEntries) else {
            throw RaftError(.proposalDropped, "too many uncommitted entries", leaderHint: leader)
        }
        let index = log.lastIndex + 1
        log.appendAsLeader([LogEntry(term: term, index: index, payload: payload)])
        needsBroadcast = true
        maybeCommit()
        return index
    }

    // MARK: - Follower side

    /// AppendEntries receiver (Figure 2 steps 2-5) with the conflict hint of §5.3.
    mutating func handleAppend(from leaderID: NodeID, _ request: AppendRequest) {
        var prevIndex = request.prevIndex
        var prevTerm = request.prevTerm
        var entries = request.entries
        if prevIndex < log.committed {
            // Entries up to our commit index are committed, hence identical to the leader's (§5.4.3).
            entries.removeAll { $0.index <= log.committed }
            prevIndex = log.committed
            prevTerm = log.term(at: prevIndex)!
        }
        guard let localTerm = log.term(at: prevIndex), localTerm == prevTerm else {
            // Step 2: "Reply false if log doesn't contain an entry at prevLogIndex whose term matches prevLogTerm".
            var response = AppendResponse(success: false, index: prevIndex, conflictIndex: log.lastIndex + 1)
            if let conflictTerm = log.term(at: prevIndex) {
                var first = prevIndex
                while first - 1 > log.committed, log.term(at: first - 1) == conflictTerm { first -= 1 }
                response.conflictTerm = conflictTerm
                response.conflictIndex = first
            }
            messages.append(send(.appendResponse(response), to: leaderID))
            return
        }
        let lastNew =
            entries.isEmpty ? prevIndex : log.appendFromLeader(entries, tolerateUnsafe: !config.faults.isEmpty)
        // Step 5: "If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new entry)".
        log.commit(to: min(request.commit, lastNew))
        messages.append(send(.appendResponse(AppendResponse(success: true, index: lastNew)), to: leaderID))
    }

    /// InstallSnapshot receiver (§7): adopt the snapshot unless the log already holds its last entry.
    mutating func handleSnapshot(from leaderID: NodeID, _ snapshot: Snapshot) {
        if snapshot.index <= log.committed {
            messages.append(send(.appendResponse(AppendResponse(success: true, index: log.committed)), to: leaderID))
            return
        }
        if log.term(at: snapshot.index) == snapshot.term {
            // "If existing log entry has same index and term as snapshot's last included entry, retain log
            // entries following it and reply".
            log.commit(to: snapshot.index)
        } else {
            log.restore(snapshot)
        }
        messages.append(send(.appendResponse(AppendResponse(success: true, index: snapshot.index)), to: leaderID))
    }

    // MARK: - Leader side

    mutating func handleAppendResponse(from id: NodeID, _ response: AppendResponse) {
        progress[id]!.recentActive = true
        if response.success {
            let advanced = progress[id]!.acknowledge(response.index)
            switch progress[id]!.mode {
            case .probe:
                progress[id]!.becomeReplicate()
            case .snapshot(let index) where progress[id]!.match >= index:
                progress[id]!.becomeReplicate()
            default:
                break
            }
            if advanced, maybeCommit() {
                broadcastAppend(sendIfEmpty: true)
            }
            if leadTransferee == id, progress[id]!.match == log.lastIndex {
                messages.append(send(.timeoutNow, to: id))
            }
            while role == .leader, progress[id] != nil, sendAppend(to: id, sendIfEmpty: false) {}
            return
        }
        // Rejection: ignore stale answers, otherwise back off using the follower's hint (§5.3).
        var pr = progress[id]!
        guard response.index > pr.match else { return }
        if pr.mode == .probe, response.index != pr.next - 1 { return }
        var next = response.conflictIndex
        if let conflictTerm = response.conflictTerm {
            var candidate = min(response.index, log.lastIndex)
            while candidate > log.snapshot.index, let t = log.term(at: candidate), t > conflictTerm {
                candidate -= 1
            }
            if log.term(at: candidate) == conflictTerm { next = candidate + 1 }
        }
        next = max(pr.match + 1, min(next, response.index))
        pr.becomeProbe()
        pr.next = next
        progress[id] = pr
        sendAppend(to: id, sendIfEmpty: true)
    }

    mutating func handleHeartbeatResponse(from id: NodeID, round: UInt64) {
        progress[id]!.recentActive = true
        if round > progress[id]!.ackedRound { progress[id]!.ackedRound = round }
        releaseReads()
        var pr = progress[id]!
        switch pr.mode {
        case .probe:
            pr.probeSent = false
        case .replicate:
            // Appends may have been lost: free the oldest slot so replication cannot stall.
            if pr.inflight.count >= config.maxInflightAppends { pr.inflight.removeFirst() }
        case .snapshot:
            if ticks - pr.snapshotSentTick >= UInt64(config.electionTicks) { pr.becomeProbe() }
        }
        progress[id] = pr
        if pr.match < log.lastIndex { sendAppend(to: id, sendIfEmpty: true) }
    }

    /// Sends the next append (or a snapshot) to `id`; returns whether a message with entries went out.
    @discardableResult
    mutating func sendAppend(to id: NodeID, sendIfEmpty: Bool) -> Bool {
        guard var pr = progress[id], !pr.isPaused(maxInflight: config.maxInflightAppends) else { return false }
        let prevIndex = pr.next - 1
        guard let prevTerm = log.term(at: prevIndex),
            let entries = log.entries(from: pr.next, maxCount: config.maxEntriesPerAppend)
        else {
            // §7: the entries the follower needs were compacted; send the snapshot instead.
            pr.mode = .snapshot(index: log.snapshot.index)
            pr.snapshotSentTick = ticks
            progress[id] = pr
            messages.append(send(.installSnapshot(log.snapshot), to: id))
            return false
        }
        if entries.isEmpty && !sendIfEmpty { return false }
        let request = AppendRequest(prevIndex: prevIndex, prevTerm: prevTerm, entries: entries, commit: log.committed)
        messages.append(send(.appendEntries(request), to: id))
        switch pr.mode {
        case .replicate:
            if let last = entries.last {
                pr.next = last.index + 1
                pr.inflight.append(last.index)
            }
        case .probe:
            pr.probeSent = true
        case .snapshot:
            break
        }
        progress[id] = pr
        return !entries.isEmpty && pr.mode == .replicate
    }

    mutating func broadcastAppend(sendIfEmpty: Bool) {
        for id in progress.keys.sorted() {
            var first = true
            while progress[id] != nil, sendAppend(to: id, sendIfEmpty: sendIfEmpty && first) { first = false }
        }
    }

    mutating func broadcastHeartbeat() {
        heartbeatRound += 1
        roundTicks[heartbeatRound] = ticks
        for id in progress.keys.sorted() {
            let commit = min(progress[id]!.match, log.committed)
            messages.append(send(.heartbeat(commit: commit, round: heartbeatRound), to: id))
        }
        releaseReads()
    }

    /// Advances the commit index to the highest index stored on a quorum of voters, but only by counting
    /// entries of the current term (§5.4.2). Returns whether it advanced.
    @discardableResult
    mutating func maybeCommit() -> Bool {
        var matches: [LogIndex] = []
        for id in membership.voters {
            matches.append(id == config.id ? log.lastIndex : (progress[id]?.match ?? 0))
        }
        guard !matches.isEmpty else { return false }
        matches.sort(by: >)
        let quorumIndex = matches[membership.quorum - 1]
        guard quorumIndex > log.committed else { return false }
        // §5.4.2: "Raft never commits log entries from previous terms by counting replicas."
        guard log.term(at: quorumIndex) == term || config.faults.contains(.commitEarlierTermByCounting) else {
            return false
        }
        log.commit(to: quorumIndex)
        if log.committed >= log.membershipIndex && !membership.isVoter(config.id) {
            // Dissertation §4.2.2: a leader removed from the membership steps down once the change commits.
            becomeFollower(term: term, leader: nil)
            return true
        }
        releaseReads()
        return true
    }

    var committedInCurrentTerm: Bool { log.term(at: log.committed) == term }
}
