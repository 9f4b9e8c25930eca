import TesseraRaft
import XCTest

/// Log compaction and InstallSnapshot (§7).
final class RaftSnapshotTests: XCTestCase {
    /// §7: "Each server takes snapshots independently, covering just the committed entries in its log."
    func testCompactionReplacesAppliedPrefix() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        for value in 1...10 { try cluster.nodes[1]!.propose([UInt8(value)]) }
        cluster.stabilize()
        let applied = cluster.nodes[1]!.appliedIndex
        let snapshot = cluster.nodes[1]!.compact(through: applied - 2, data: [1, 2, 3])
        XCTAssertEqual(snapshot.index, applied - 2)
        XCTAssertEqual(snapshot.term, cluster.nodes[1]!.term)
        XCTAssertEqual(snapshot.membership.voters, [1, 2, 3])
        XCTAssertEqual(cluster.nodes[1]!.firstIndex, applied - 1)
        XCTAssertNil(cluster.nodes[1]!.term(at: applied - 3), "compacted entries are gone")
    }

    /// §7: "the leader must occasionally send snapshots to followers that lag behind ... when it has already
    /// discarded the next log entry that it needs to send to a follower"; the follower "discards its entire log;
    /// it is all superseded by the snapshot".
    func testLaggingFollowerReceivesSnapshot() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.isolate(3)
        for value in 1...20 { try cluster.nodes[1]!.propose([UInt8(value)]) }
        cluster.stabilize()
        let snapshot = cluster.nodes[1]!.compact(through: cluster.nodes[1]!.appliedIndex, data: [0xAA])
        cluster.storages[1]!.save(snapshot: snapshot)
        cluster.heal()
        cluster.tickAll(3)
        XCTAssertEqual(cluster.storages[3]!.snapshot, snapshot, "the follower persisted the leader's snapshot")
        XCTAssertEqual(cluster.nodes[3]!.commitIndex, cluster.nodes[1]!.commitIndex)
        XCTAssertEqual(cluster.nodes[3]!.firstIndex, snapshot.index + 1)
        XCTAssertTrue(cluster.sent.contains { $0.kind == .installSnapshot(snapshot) && $0.to == 3 })
    }

    /// §7: "If the follower receives a snapshot that describes a prefix of its log ... log entries covered by the
    /// snapshot are deleted but entries following the snapshot are still valid and must be retained."
    func testSnapshotOfKnownPrefixKeepsFollowingEntries() {
        var follower = makeNode(id: 2, voters: [1, 2, 3], entries: (1...6).map { ($0, 1) }, term: 1)
        let snapshot = Snapshot(index: 4, term: 1, membership: Membership(voters: [1, 2, 3]), data: [9])
        follower.step(Message(from: 1, to: 2, term: 1, kind: .installSnapshot(snapshot)))
        let ready = drain(&follower)
        XCTAssertNil(ready.snapshot, "nothing to install: the log already holds the snapshot's last entry")
        XCTAssertEqual(follower.lastIndex, 6)
        XCTAssertEqual(follower.commitIndex, 4)
        XCTAssertEqual(ready.committedEntries.map(\.index), [1, 2, 3, 4])
    }

    /// MemoryRaftStorage keeps entries after a snapshot that matches, and truncates on conflicting appends.
    func testMemoryStorageSnapshotAndTruncation() {
        var storage = MemoryRaftStorage(membership: Membership(voters: [1]))
        storage.append((1...5).map { LogEntry(term: 1, index: $0, payload: .noop) })
        storage.append([LogEntry(term: 2, index: 4, payload: .noop)])
        XCTAssertEqual(storage.entries.map(\.term), [1, 1, 1, 2])
        storage.save(snapshot: Snapshot(index: 2, term: 1, membership: Membership(voters: [1])))
        XCTAssertEqual(storage.entries.map(\.index), [3, 4])
        storage.save(snapshot: Snapshot(index: 4, term: 3, membership: Membership(voters: [1])))
        XCTAssertTrue(storage.entries.isEmpty, "a snapshot whose last entry differs replaces the whole log")
        XCTAssertEqual(storage.lastIndex, 4)
    }
}
