import TesseraCore
import XCTest

@testable import TesseraStorage

/// Last-writer-wins application of replicated records, tombstones and their grace period.
final class ReplicationApplyTests: XCTestCase {
    private func version(_ ms: Int64, node: UInt16 = 1) -> Version {
        Version(timestamp: HybridTimestamp(physicalMs: ms, logical: 0), node: node)
    }

    private func record(_ key: String, _ value: String?, _ version: Version) -> ReplicaRecord {
        ReplicaRecord(
            keyspace: "default", key: key, version: version,
            item: value.map { StoredItem(value: bytes($0), contentType: "text/plain", version: version) })
    }

    func testNewerVersionWinsWhateverTheArrivalOrder() async throws {
        let engine = try openEngine(temporaryDirectory(self))
        defer { engine.close() }
        let now = engine.nowMs
        let results = try await engine.applyReplica([
            record("k", "new", version(now + 10)), record("k", "old", version(now)),
        ])
        XCTAssertEqual(results.map(\.applied), [true, false])
        XCTAssertEqual(results.map(\.hadLive), [false, true])
        let item = try await engine.get(keyspace: "default", key: "k")
        XCTAssertEqual(item?.value, bytes("new"))
        // The same timestamp: the higher node id wins, on every replica alike.
        _ = try await engine.applyReplica([
            record("t", "a", version(now, node: 2)), record("t", "b", version(now, node: 1)),
        ])
        let tie = try await engine.get(keyspace: "default", key: "t")
        XCTAssertEqual(tie?.value, bytes("a"))
    }

    func testTombstoneBlocksOlderValuesAndSurvivesRestart() async throws {
        let directory = temporaryDirectory(self)
        var engine = try openEngine(directory)
        let now = engine.nowMs
        _ = try await engine.applyReplica([record("k", "v1", version(now))])
        _ = try await engine.applyReplica([record("k", nil, version(now + 5))])
        let gone = try await engine.get(keyspace: "default", key: "k")
        XCTAssertNil(gone)
        // A stale replica re-sending the older value cannot bring it back.
        let stale = try await engine.applyReplica([record("k", "v1", version(now))])
        XCTAssertEqual(stale.map(\.applied), [false])
        let tombstone = try await engine.readReplica(keyspace: "default", key: "k")
        XCTAssertEqual(tombstone?.isTombstone, true)
        XCTAssertEqual(tombstone?.version, version(now + 5))
        // The tombstone is in the log and, after a snapshot, in the snapshot.
        try engine.takeSnapshot()
        engine.close()
        engine = try openEngine(directory)
        let again = try await engine.applyReplica([record("k", "v1", version(now + 1))])
        XCTAssertEqual(again.map(\.applied), [false])
        // A newer value replaces the tombstone.
        let newer = try await engine.applyReplica([record("k", "v2", version(now + 9))])
        XCTAssertEqual(newer.map(\.applied), [true])
        let item = try await engine.get(keyspace: "default", key: "k")
        XCTAssertEqual(item?.value, bytes("v2"))
        engine.close()
    }

    func testTombstonesAreForgottenAfterTheGracePeriod() async throws {
        let engine = try openEngine(temporaryDirectory(self))
        defer { engine.close() }
        let now = engine.nowMs
        _ = try await engine.applyReplica([record("k", nil, version(now - 7_200_000))])
        let kept = try await engine.readReplica(keyspace: "default", key: "k")
        XCTAssertNotNil(kept)
        engine.purgeTombstones(nowMs: now)
        let purged = try await engine.readReplica(keyspace: "default", key: "k")
        XCTAssertNil(purged)
    }

    func testLocalDeleteLeavesATombstoneAndScansSeeIt() async throws {
        let engine = try openEngine(temporaryDirectory(self))
        defer { engine.close() }
        _ = try await engine.put(keyspace: "default", key: "a", value: bytes("1"), contentType: "text/plain")
        _ = try await engine.put(keyspace: "default", key: "b", value: bytes("2"), contentType: "text/plain")
        try await engine.delete(keyspace: "default", key: "a")
        let records = try await engine.scanReplica(
            keyspace: "default", partitions: Array(0..<engine.partitioner.count), prefix: "", lower: "", upper: nil,
            limit: 10)
        XCTAssertEqual(records.map(\.key), ["a", "b"])
        XCTAssertEqual(records.map(\.isTombstone), [true, false])
        let partition = engine.partitioner.partition(of: "a")
        let all = try engine.partitionRecords(keyspace: "default", partition: partition)
        XCTAssertTrue(all.contains { $0.key == "a" && $0.isTombstone })
    }
}
