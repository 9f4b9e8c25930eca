import TesseraRaft
import XCTest

/// Log replication rules of the Raft paper (§5.3, §5.4.2, Figure 2) and the batching, pipelining and
/// Ready contract of the library.
final class RaftReplicationTests: XCTestCase {
    private func appends(_ messages: [Message]) -> [(to: NodeID, request: AppendRequest)] {
        messages.compactMap {
            if case .appendEntries(let request) = $0.kind { return ($0.to, request) }
            return nil
        }
    }

    /// §5.3: "The leader appends the command to its log as a new entry, then issues AppendEntries RPCs in
    /// parallel to each of the other servers to replicate the entry."
    func testLeaderAppendsProposalAndReplicatesInParallel() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        let index = try cluster.nodes[1]!.propose([42])
        let ready = cluster.nodes[1]!.ready()
        XCTAssertEqual(ready.entries.map(\.index), [index], "the new entry is handed out for persisting")
        let sent = appends(ready.messages)
        XCTAssertEqual(sent.map(\.to).sorted(), [2, 3])
        XCTAssertTrue(sent.allSatisfy { $0.request.entries.last?.index == index })
        cluster.nodes[1]!.advance(ready)
    }

    /// §5.3: "A log entry is committed once the leader that created the entry has replicated it on a majority of
    /// the servers" and "Once a follower learns that a log entry is committed, it applies the entry to its local
    /// state machine (in log order)."
    func testEntryCommitsOnMajorityAndEveryoneAppliesInOrder() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.isolate(3)
        for value in 1...5 { try cluster.nodes[1]!.propose([UInt8(value)]) }
        cluster.stabilize()
        XCTAssertEqual(
            cluster.commands(appliedBy: 1), [[1], [2], [3], [4], [5]], "leader + one follower is a majority")
        cluster.heal()
        cluster.tickAll(3)
        for id: NodeID in [1, 2, 3] { XCTAssertEqual(cluster.commands(appliedBy: id), [[1], [2], [3], [4], [5]]) }
    }

    /// Figure 2, AppendEntries step 2: "Reply false if log doesn't contain an entry at prevLogIndex whose term
    /// matches prevLogTerm", with the hint of §5.3 ("the follower can include the term of the conflicting entry
    /// and the first index it stores for that term").
    func testFollowerRejectsMismatchWithConflictHint() {
        var follower = makeNode(id: 2, voters: [1, 2, 3], entries: [(1, 1), (2, 2), (3, 2), (4, 2)], term: 3)
        let request = AppendRequest(prevIndex: 4, prevTerm: 3, entries: [], commit: 0)
        follower.step(Message(from: 1, to: 2, term: 3, kind: .appendEntries(request)))
        guard case .appendResponse(let response)? = drain(&follower).messages.first?.kind else {
            return XCTFail("no response")
        }
        XCTAssertFalse(response.success)
        XCTAssertEqual(response.conflictTerm, 2)
        XCTAssertEqual(response.conflictIndex, 2)

        var short = makeNode(id: 2, voters: [1, 2, 3], entries: [(1, 1)], term: 3)
        short.step(Message(from: 1, to: 2, term: 3, kind: .appendEntries(request)))
        guard case .appendResponse(let tooShort)? = drain(&short).messages.first?.kind else {
            return XCTFail("no response")
        }
        XCTAssertNil(tooShort.conflictTerm)
        XCTAssertEqual(tooShort.conflictIndex, 2, "a short log asks for its last index + 1")
    }

    /// Figure 2, AppendEntries steps 3-4: "If an existing entry conflicts with a new one (same index but different
    /// terms), delete the existing entry and all that follow it. Append any new entries not already in the log."
    func testFollowerTruncatesConflictingSuffix() {
        var follower = makeNode(id: 2, voters: [1, 2, 3], entries: [(1, 1), (2, 1), (3, 1)], term: 1)
        let replacement = [LogEntry(term: 2, index: 2, payload: .command([9]))]
        let request = AppendRequest(prevIndex: 1, prevTerm: 1, entries: replacement, commit: 0)
        follower.step(Message(from: 1, to: 2, term: 2, kind: .appendEntries(request)))
        let ready = drain(&follower)
        XCTAssertEqual(follower.lastIndex, 2)
        XCTAssertEqual(follower.term(at: 2), 2)
        XCTAssertEqual(ready.entries, replacement, "only the replacement is handed out; storage truncates from it")
    }

    /// §5.3: "the leader handles inconsistencies by forcing the followers' logs to duplicate its own" (Figure 7).
    func testLeaderForcesFollowerLogsToMatch() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        try cluster.nodes[1]!.propose([1])
        cluster.stabilize()
        cluster.isolate(1)
        for value in 2...4 { try cluster.nodes[1]!.propose([UInt8(value)]) }  // uncommitted, only on 1
        cluster.stabilize()
        cluster.elect(2)
        for value in 5...6 { try cluster.nodes[2]!.propose([UInt8(value)]) }
        cluster.stabilize()
        cluster.heal()
        cluster.tickAll(5)
        XCTAssertEqual(cluster.nodes[1]!.role, .follower)
        XCTAssertEqual(cluster.nodes[1]!.lastIndex, cluster.nodes[2]!.lastIndex)
        for index in cluster.nodes[1]!.firstIndex...cluster.nodes[1]!.lastIndex {
            XCTAssertEqual(cluster.nodes[1]!.entry(at: index), cluster.nodes[2]!.entry(at: index))
        }
        XCTAssertEqual(cluster.commands(appliedBy: 1), [[1], [5], [6]])
    }

    /// §5.3 optimization: with the conflict hint the leader skips a whole term per round trip instead of one entry.
    func testFastBacktrackingSkipsConflictingTerm() {
        var leader = makeNode(id: 1, voters: [1, 2], entries: (1...20).map { ($0, 1) }, term: 3, vote: 1)
        leader.step(Message(from: 2, to: 1, term: 3, kind: .timeoutNow))
        XCTAssertEqual(leader.role, .candidate)
        leader.step(Message(from: 2, to: 1, term: 4, kind: .voteResponse(preVote: false, granted: true)))
        XCTAssertEqual(leader.role, .leader)
        _ = drain(&leader)
        // The follower's log holds entries 2...30 of term 2: it rejects the probe after 20 with conflict term 2.
        let hint = AppendResponse(success: false, index: 20, conflictTerm: 2, conflictIndex: 2)
        leader.step(Message(from: 2, to: 1, term: 4, kind: .appendResponse(hint)))
        let next = appends(drain(&leader).messages).first
        XCTAssertEqual(next?.request.prevIndex, 1, "one round trip jumps back over all of term 2")
    }

    /// §5.4.2: "Raft never commits log entries from previous terms by counting replicas. Only log entries from
    /// the leader's current term are committed by counting replicas".
    func testLeaderDoesNotCommitEarlierTermEntryByCounting() {
        var leader = makeNode(id: 1, voters: [1, 2, 3], entries: [(1, 1), (2, 2)], term: 3, vote: 1)
        leader.step(Message(from: 2, to: 1, term: 3, kind: .timeoutNow))
        leader.step(Message(from: 2, to: 1, term: 4, kind: .voteResponse(preVote: false, granted: true)))
        XCTAssertEqual(leader.role, .leader)
        _ = drain(&leader)
        // Follower 2 stores entry 2 (term 2) but not yet the leader's no-op at 3 (term 4).
        leader.step(Message(from: 2, to: 1, term: 4, kind: .appendResponse(AppendResponse(success: true, index: 2))))
        XCTAssertEqual(leader.commitIndex, 0, "entry 2 is on a majority but belongs to an earlier term")
        leader.step(Message(from: 2, to: 1, term: 4, kind: .appendResponse(AppendResponse(success: true, index: 3))))
        XCTAssertEqual(leader.commitIndex, 3, "committing the current-term no-op commits entry 2 indirectly")
    }

    /// Batching and pipelining: at most `maxEntriesPerAppend` entries per message, at most `maxInflightAppends`
    /// unacknowledged messages per follower, then the leader waits.
    func testBatchingAndPipeliningLimits() throws {
        var cluster = TestCluster(voters: [1, 2]) { config in
            config.maxEntriesPerAppend = 4
            config.maxInflightAppends = 3
        }
        cluster.elect(1)
        for value in 0..<40 { try cluster.nodes[1]!.propose([UInt8(value)]) }
        let sent = appends(cluster.nodes[1]!.ready().messages)
        XCTAssertEqual(sent.count, 3, "three appends in flight, then the pipeline is full")
        XCTAssertTrue(sent.allSatisfy { $0.request.entries.count == 4 })
        XCTAssertEqual(sent.map(\.request.prevIndex), [1, 5, 9], "pipelined appends continue where the last ended")
    }

    /// The Ready contract: a follower's acknowledgement leaves in the same Ready as the entries it acknowledges,
    /// so a caller that persists before sending never acknowledges what it has not stored.
    func testFollowerAcknowledgesOnlyWithEntriesToPersist() {
        var follower = makeNode(id: 2, voters: [1, 2, 3], entries: [], term: 1)
        let entries = [LogEntry(term: 1, index: 1, payload: .command([1]))]
        let request = AppendRequest(prevIndex: 0, prevTerm: 0, entries: entries, commit: 0)
        follower.step(Message(from: 1, to: 2, term: 2, kind: .appendEntries(request)))
        let ready = drain(&follower)
        XCTAssertEqual(ready.entries, entries)
        XCTAssertEqual(ready.messages.first?.kind, .appendResponse(AppendResponse(success: true, index: 1)))
        XCTAssertEqual(ready.hardState?.term, 2, "the new term is persisted before the acknowledgement leaves")
    }

    /// Figure 2: "If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new entry)".
    func testFollowerCommitIsBoundedByLastNewEntry() {
        var follower = makeNode(id: 2, voters: [1, 2, 3], entries: [(1, 1), (2, 1), (3, 1)], term: 1)
        let entries = [LogEntry(term: 1, index: 2, payload: .command([2]))]
        let request = AppendRequest(prevIndex: 1, prevTerm: 1, entries: entries, commit: 10)
        follower.step(Message(from: 1, to: 2, term: 1, kind: .appendEntries(request)))
        XCTAssertEqual(follower.commitIndex, 2)
    }

    /// A node restarted from storage keeps its term, vote and log (Figure 2 "Persistent state on all servers").
    func testRestartRecoversPersistentState() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        for value in 1...3 { try cluster.nodes[1]!.propose([UInt8(value)]) }
        cluster.stabilize()
        let before = cluster.nodes[2]!
        cluster.restart(2)
        let after = cluster.nodes[2]!
        XCTAssertEqual(after.term, before.term)
        XCTAssertEqual(after.vote, before.vote)
        XCTAssertEqual(after.lastIndex, before.lastIndex)
        XCTAssertEqual(after.commitIndex, before.commitIndex)
        XCTAssertEqual(after.appliedIndex, 0, "applying restarts from the snapshot")
    }

    /// §5.3: "If followers crash or run slowly, or if network packets are lost, the leader retries AppendEntries
    /// RPCs indefinitely ... until all followers eventually store all log entries."
    func testLeaderRetriesLostAppendsUntilFollowerCatchesUp() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        var dropped = 0
        cluster.deliver = { message in
            if message.to == 3, case .appendEntries = message.kind {
                dropped += 1
                return nil
            }
            return message
        }
        for value in 1...5 { try cluster.nodes[1]!.propose([UInt8(value)]) }
        cluster.stabilize()
        XCTAssertGreaterThan(dropped, 0)
        XCTAssertLessThan(cluster.nodes[3]!.lastIndex, cluster.nodes[1]!.lastIndex)
        cluster.deliver = { $0 }
        cluster.tickAll(3)
        XCTAssertEqual(cluster.nodes[3]!.lastIndex, cluster.nodes[1]!.lastIndex)
        XCTAssertEqual(cluster.commands(appliedBy: 3), [[1], [2], [3], [4], [5]])
    }
}
