import TesseraCore
import XCTest

@testable import TesseraStorage

final class ChangeFeedTests: XCTestCase {
    func event(_ lsn: UInt64, _ key: String, ms: Int64) -> ChangeEvent {
        ChangeEvent(
            lsn: lsn, kind: .put, key: key,
            version: Version(timestamp: HybridTimestamp(physicalMs: ms, logical: 0), node: 1),
            value: [], contentType: "text/plain")
    }

    func testReadFilterAndCursor() throws {
        let feed = ChangeFeed(horizon: 0, retentionSeconds: 3600, eventsMax: 100)
        feed.publish((1...10).map { event($0, $0 % 2 == 0 ? "even:\($0)" : "odd:\($0)", ms: 1000) }, nowMs: 1000)
        let (events, next) = try feed.read(after: 3, prefix: "even", limit: 2)
        XCTAssertEqual(events.map(\.lsn), [4, 6])
        XCTAssertEqual(next, 6)
        let rest = try feed.read(after: next, prefix: "even", limit: 100)
        XCTAssertEqual(rest.events.map(\.lsn), [8, 10])
        XCTAssertEqual(rest.next, 10)
        XCTAssertEqual(try feed.read(after: 10, prefix: "", limit: 5).events.count, 0)
    }

    func testRetentionByCountAndTimeExpiresCursors() throws {
        let feed = ChangeFeed(horizon: 0, retentionSeconds: 10, eventsMax: 5)
        feed.publish((1...8).map { event($0, "k", ms: 1000) }, nowMs: 1000)
        XCTAssertEqual(feed.retainedCount, 5)
        XCTAssertThrowsError(try feed.read(after: 1, prefix: "", limit: 10)) { error in
            XCTAssertEqual((error as? TesseraError)?.code, .cursorExpired)
        }
        XCTAssertEqual(try feed.read(after: 3, prefix: "", limit: 10).events.map(\.lsn), [4, 5, 6, 7, 8])
        feed.trim(nowMs: 1000 + 10_001)
        XCTAssertEqual(feed.retainedCount, 0)
        XCTAssertThrowsError(try feed.read(after: 3, prefix: "", limit: 10))
    }

    func testWaitersWakeOnPublishAndTimeOut() async throws {
        let feed = ChangeFeed(horizon: 0, retentionSeconds: 3600, eventsMax: 100)
        let start = ContinuousClock.now
        await feed.waitForEvents(after: 0, timeoutMs: 50)
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(45))
        let waitStart = ContinuousClock.now
        async let waited: Void = feed.waitForEvents(after: 0, timeoutMs: 30_000)
        try await Task.sleep(for: .milliseconds(20))
        feed.publish([event(1, "k", ms: 1)], nowMs: 1)
        await waited
        // Woken by the publish, not by the 30 s timeout.
        XCTAssertLessThan(ContinuousClock.now - waitStart, .seconds(20))
        XCTAssertEqual(try feed.read(after: 0, prefix: "", limit: 10).events.count, 1)
    }
}

final class ChangeHistoryRecoveryTests: XCTestCase {
    func testRetainedEventsSurviveSnapshotAndReopen() async throws {
        let dir = temporaryDirectory(self)
        var engine: StorageEngine? = try openEngine(dir)
        let start = try engine!.changeFeed(keyspace: "default").headCursor
        for i in 0..<10 {
            _ = try await engine!.put(
                keyspace: "default", key: "k\(i)", value: bytes("\(i)"), contentType: "text/plain")
        }
        try await engine!.delete(keyspace: "default", key: "k3")
        try engine!.takeSnapshot()
        _ = try await engine!.put(keyspace: "default", key: "after", value: bytes("x"), contentType: "text/plain")
        engine!.close()
        engine = try openEngine(dir)
        defer { engine!.close() }
        let (events, _) = try engine!.changeFeed(keyspace: "default").read(after: start, prefix: "", limit: 100)
        XCTAssertEqual(events.map(\.key), (0..<10).map { "k\($0)" } + ["k3", "after"])
        XCTAssertEqual(events[10].kind, .delete)
        XCTAssertEqual(events[0].value, bytes("0"))
    }
}
