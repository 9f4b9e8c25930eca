import TesseraRaft
import XCTest

/// The tricky cases: Figure 8 of the paper, a partitioned leader, a disruptive rejoining node, and a snapshot
/// taken while a membership change is in flight.
final class RaftScenarioTests: XCTestCase {
    /// Drops the entries at or after `index` from an append, keeping the (empty) append itself.
    private static func strip(_ message: Message, from index: LogIndex) -> Message {
        guard case .appendEntries(var request) = message.kind else { return message }
        request.entries.removeAll { $0.index >= index }
        var copy = message
        copy.kind = .appendEntries(request)
        return copy
    }

    private static func isAppend(_ message: Message) -> Bool {
        if case .appendEntries = message.kind { return true }
        return false
    }

    /// Figure 8 with five servers. Returns every node's applied entries at the end.
    private func runFigure8(breakCommitRule: Bool) throws -> [NodeID: [LogEntry]] {
        var cluster = TestCluster(voters: [1, 2, 3, 4, 5]) { config in
            config.maxEntriesPerAppend = 1
            config.preVote = false
            config.checkQuorum = false
            if breakCommitRule { config.faults = [.commitEarlierTermByCounting] }
        }
        // S1 leads term 1; its no-op (index 1) commits everywhere.
        cluster.elect(1)
        // (a) S1 replicates index 2 (term 1) to S2 only, then crashes.
        cluster.deliver = { $0.from == 1 && $0.to != 2 ? nil : $0 }
        try cluster.nodes[1]!.propose([0xA])
        cluster.stabilize()
        cluster.deliver = { $0 }
        cluster.isolate(1)
        cluster.restart(1)
        // (b) S5 is elected for term 2 by S3, S4 and itself, and appends index 2 (term 2) only locally; crashes.
        cluster.cut.insert([5, 2])
        cluster.cut.insert([2, 5])
        cluster.deliver = { $0.from == 5 && Self.isAppend($0) ? nil : $0 }
        cluster.elect(5)
        XCTAssertEqual(cluster.nodes[5]!.term(at: 2), 2)
        cluster.heal()
        cluster.isolate(5)
        cluster.restart(5)
        // (c) S1 restarts and is elected for term 3 by S2 and S3; it replicates index 2 (term 1) to S3 but its
        // term-3 no-op (index 3) reaches nobody. Index 2 now sits on a majority (S1, S2, S3).
        cluster.deliver = { $0.from == 1 ? Self.strip($0, from: 3) : $0 }
        cluster.cut.insert([1, 4])
        cluster.campaignUntilLeader(1)
        XCTAssertEqual(cluster.nodes[1]!.term, 3)
        cluster.tickAll(2)
        XCTAssertEqual(cluster.nodes[3]!.term(at: 2), 1)
        // (d) S1 crashes; S5 (last term 2) can win with S2, S3 and S4 and overwrite index 2.
        cluster.deliver = { $0 }
        cluster.heal()
        cluster.isolate(1)
        cluster.restart(1)
        cluster.campaignUntilLeader(5)
        for _ in 0..<5 {
            for id: NodeID in [2, 3, 4, 5] { cluster.nodes[id]!.tick() }
            cluster.stabilize()
        }
        if !breakCommitRule {
            XCTAssertEqual(cluster.nodes[3]!.term(at: 2), 2, "index 2 was overwritten by S5's entry")
        }
        return cluster.applied
    }

    /// Figure 8 / §5.4.2: the entry of term 1 replicated on a majority in term 3 must not be committed by counting,
    /// because S5 can still be elected and overwrite it; with the rule, nobody ever applies it.
    func testFigure8EarlierTermEntryIsNotCommittedByCounting() throws {
        let applied = try runFigure8(breakCommitRule: false)
        for (id, entries) in applied {
            XCTAssertFalse(entries.contains { $0.index == 2 && $0.term == 1 }, "node \(id) applied the doomed entry")
        }
    }

    /// The same schedule with the deliberately broken commit rule: servers apply different entries at index 2,
    /// violating state machine safety. This is the bug the simulator must also catch.
    func testFigure8BrokenCommitRuleViolatesStateMachineSafety() throws {
        let applied = try runFigure8(breakCommitRule: true)
        let termsAtTwo = Set(applied.values.flatMap { $0.filter { $0.index == 2 }.map(\.term) })
        XCTAssertEqual(termsAtTwo, [1, 2], "two different entries were applied at index 2")
    }

    /// §5.2/§6.2: a leader cut off with a minority cannot commit; the majority elects a new leader; after the
    /// partition heals the old leader steps down and its uncommitted entries are replaced.
    func testPartitionedLeaderCannotCommitAndStepsDown() throws {
        var cluster = TestCluster(voters: [1, 2, 3, 4, 5])
        cluster.elect(1)
        for a: NodeID in [1, 2] {
            for b: NodeID in [3, 4, 5] {
                cluster.cut.insert([a, b])
                cluster.cut.insert([b, a])
            }
        }
        let oldCommit = cluster.nodes[1]!.commitIndex
        try cluster.nodes[1]!.propose([0xBA])
        cluster.stabilize()
        XCTAssertEqual(cluster.nodes[1]!.commitIndex, oldCommit, "two of five cannot commit")
        cluster.tickAll(30)
        XCTAssertNotEqual(cluster.nodes[1]!.role, .leader, "CheckQuorum deposed the minority leader")
        let majorityLeader = [NodeID(3), 4, 5].first { cluster.nodes[$0]!.role == .leader }
        let newLeader = try XCTUnwrap(majorityLeader)
        try cluster.nodes[newLeader]!.propose([0x6D])
        cluster.stabilize()
        cluster.heal()
        cluster.tickAll(10)
        for id: NodeID in 1...5 {
            XCTAssertEqual(cluster.commands(appliedBy: id), [[0x6D]], "node \(id)")
            XCTAssertEqual(cluster.nodes[id]!.lastIndex, cluster.nodes[newLeader]!.lastIndex)
        }
    }

    /// Dissertation §9.6: a node rejoining after a partition does not disrupt the cluster, because PreVote keeps
    /// it from raising its term while it cannot win. Without PreVote (and CheckQuorum) it forces a new election.
    func testRejoiningNodeIsStoppedByPreVote() throws {
        for preVote in [true, false] {
            var cluster = TestCluster(voters: [1, 2, 3]) { config in
                config.preVote = preVote
                config.checkQuorum = preVote
            }
            cluster.elect(1)
            let term = cluster.nodes[1]!.term
            cluster.isolate(3)
            for _ in 0..<60 {
                for id: NodeID in [1, 2, 3] { cluster.nodes[id]!.tick() }
                cluster.stabilize()
                // Keep the connected follower from timing out on its own.
            }
            cluster.heal()
            cluster.tickAll(30)
            if preVote {
                XCTAssertEqual(cluster.nodes[3]!.term, term, "PreVote polls never raised the isolated node's term")
                XCTAssertEqual(cluster.nodes[1]!.role, .leader, "the leader was not disturbed")
                XCTAssertEqual(cluster.nodes[1]!.term, term)
            } else {
                XCTAssertGreaterThan(
                    cluster.nodes[1]!.term, term, "without PreVote the rejoining node forced a new term")
            }
        }
    }

    /// A snapshot taken while a membership change is still uncommitted holds the old membership; a new node
    /// restored from it learns the change from the log entries that follow, then is promoted and can lead.
    func testSnapshotDuringMembershipChange() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.add(4, storage: MemoryRaftStorage())
        cluster.isolate(4)
        cluster.elect(1)
        for value in 1...10 { try cluster.nodes[1]!.propose([UInt8(value)]) }
        cluster.stabilize()
        // The change is appended but not yet committed when the leader compacts its log.
        cluster.cut.insert([1, 2])
        cluster.cut.insert([1, 3])
        try cluster.nodes[1]!.proposeMembershipChange(.addLearner(4))
        cluster.stabilize()
        let snapshot = cluster.nodes[1]!.compact(through: cluster.nodes[1]!.appliedIndex, data: [0x5])
        cluster.storages[1]!.save(snapshot: snapshot)
        XCTAssertEqual(snapshot.membership, Membership(voters: [1, 2, 3]), "the change is after the snapshot")
        cluster.heal()
        cluster.tickAll(5)
        XCTAssertEqual(cluster.storages[4]!.snapshot.index, snapshot.index, "the learner was restored from it")
        XCTAssertEqual(cluster.nodes[4]!.membership, Membership(voters: [1, 2, 3], learners: [4]))
        try cluster.nodes[1]!.proposeMembershipChange(.addVoter(4))
        cluster.stabilize()
        let promoted = cluster.nodes[1]!.compact(through: cluster.nodes[1]!.appliedIndex, data: [0x6])
        XCTAssertEqual(promoted.membership, Membership(voters: [1, 2, 3, 4]))
        cluster.elect(4)
        XCTAssertEqual(cluster.nodes[4]!.role, .leader)
        try cluster.nodes[4]!.proposeMembershipChange(.remove(1))
        cluster.tickAll(3)
        for id: NodeID in [2, 3, 4] { XCTAssertEqual(cluster.nodes[id]!.membership, Membership(voters: [2, 3, 4])) }
    }
}
