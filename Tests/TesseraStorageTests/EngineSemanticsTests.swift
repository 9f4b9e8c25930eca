import TesseraCore
import XCTest

@testable import TesseraStorage

final class EngineSemanticsTests: XCTestCase {
    func testConditionalWrites() async throws {
        let engine = try openEngine(temporaryDirectory(self))
        defer { engine.close() }
        let first = try await engine.put(
            keyspace: "default", key: "k", value: bytes("1"), contentType: "text/plain", condition: .ifAbsent)
        XCTAssertTrue(first.created)
        do {
            _ = try await engine.put(
                keyspace: "default", key: "k", value: bytes("2"), contentType: "text/plain", condition: .ifAbsent)
            XCTFail("create-only must fail on an existing key")
        } catch {
            XCTAssertEqual(error.code, .preconditionFailed)
            XCTAssertEqual(error.details["version"], .string(first.version.description))
        }
        let second = try await engine.put(
            keyspace: "default", key: "k", value: bytes("2"), contentType: "text/plain",
            condition: .ifMatch(first.version.description))
        XCTAssertFalse(second.created)
        XCTAssertNotEqual(second.version, first.version)
        do {
            _ = try await engine.put(
                keyspace: "default", key: "k", value: bytes("3"), contentType: "text/plain",
                condition: .ifMatch(first.version.description))
            XCTFail("a stale If-Match must fail")
        } catch {
            XCTAssertEqual(error.code, .preconditionFailed)
        }
        let v1 = try await engine.get(keyspace: "default", key: "k")?.value
        XCTAssertEqual(v1, bytes("2"))
        do {
            try await engine.delete(keyspace: "default", key: "missing")
            XCTFail()
        } catch { XCTAssertEqual(error.code, .notFound) }
        do {
            _ = try await engine.get(keyspace: "nope", key: "k")
            XCTFail()
        } catch { XCTAssertEqual(error.code, .keyspaceNotFound) }
    }

    func testTTLHidesAtOnceAndReaperEmitsExpire() async throws {
        let clock = ManualClock()
        let engine = try openEngine(temporaryDirectory(self), clock: clock)
        defer { engine.close() }
        let feed = try engine.changeFeed(keyspace: "default")
        let cursor = feed.headCursor
        _ = try await engine.put(
            keyspace: "default", key: "t", value: bytes("v"), contentType: "text/plain", ttlMs: 1500)
        let v2 = try await engine.get(keyspace: "default", key: "t")
        XCTAssertNotNil(v2)
        clock.advance(1499)
        let v3 = try await engine.get(keyspace: "default", key: "t")
        XCTAssertNotNil(v3)
        clock.advance(1)
        let v4 = try await engine.get(keyspace: "default", key: "t")
        XCTAssertNil(v4, "expired items vanish from reads at once")
        let v5 = try await engine.scan(keyspace: "default", limit: 10).items.count
        XCTAssertEqual(v5, 0)
        XCTAssertEqual(try engine.itemCount(keyspace: "default"), 1, "not yet reclaimed")
        engine.expireItems()
        XCTAssertEqual(try engine.itemCount(keyspace: "default"), 0)
        // The expire event is published once durable.
        var kinds: [ChangeEvent.Kind] = []
        for _ in 0..<100 where kinds.count < 2 {
            kinds = try feed.read(after: cursor, prefix: "", limit: 10).events.map(\.kind)
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTAssertEqual(kinds, [.put, .expire])
    }

    func testTransactionsAreAtomicAndPartitionBound() async throws {
        let engine = try openEngine(temporaryDirectory(self))
        defer { engine.close() }
        let setup = Transaction(
            compares: [],
            success: [.put(key: "{s}:stock", value: bytes("2"), contentType: "application/json", ttlMs: nil)],
            failure: [])
        _ = try await engine.transact(keyspace: "default", setup)
        let buy = Transaction(
            compares: [.value(key: "{s}:stock", .gte, .number(1)), .exists(key: "{s}:seat", false)],
            success: [
                .incr(key: "{s}:stock", by: -1),
                .put(key: "{s}:seat", value: bytes("{\"by\":\"a\"}"), contentType: "application/json", ttlMs: nil),
            ],
            failure: [.get(key: "{s}:stock")])
        let first = try await engine.transact(keyspace: "default", buy)
        XCTAssertTrue(first.succeeded)
        XCTAssertEqual(first.results[0].item?.value, bytes("1"))
        let second = try await engine.transact(keyspace: "default", buy)
        XCTAssertFalse(second.succeeded, "the seat exists now")
        XCTAssertEqual(second.results.count, 1)
        XCTAssertEqual(second.results[0].item?.value, bytes("1"))
        let other = (0..<100).map { "other\($0)" }.first {
            engine.partitioner.partition(of: $0) != engine.partitioner.partition(of: "a")
        }!
        do {
            _ = try await engine.transact(
                keyspace: "default",
                Transaction(compares: [], success: [.get(key: "a"), .get(key: other)], failure: []))
            XCTFail("a and \(other) are in different partitions")
        } catch {
            XCTAssertEqual(error.code, .crossPartition)
        }
        // incr on a non-number is refused and nothing of the transaction applies.
        _ = try await engine.put(keyspace: "default", key: "{s}:text", value: bytes("hello"), contentType: "text/plain")
        do {
            _ = try await engine.transact(
                keyspace: "default",
                Transaction(
                    compares: [], success: [.incr(key: "{s}:stock", by: 5), .incr(key: "{s}:text", by: 1)], failure: [])
            )
            XCTFail()
        } catch {
            XCTAssertEqual(error.code, .badRequest)
        }
        let v6 = try await engine.get(keyspace: "default", key: "{s}:stock")?.value
        XCTAssertEqual(v6, bytes("1"))
    }

    func testComparisonsFollowJSONKinds() {
        XCTAssertTrue(Transaction.Comparison.gte.holds(.number(2), .number(2)))
        XCTAssertFalse(Transaction.Comparison.gt.holds(.number(2), .number(2)))
        XCTAssertTrue(Transaction.Comparison.lt.holds(.string("a"), .string("b")))
        XCTAssertFalse(Transaction.Comparison.lt.holds(.string("a"), .number(1)))
        XCTAssertTrue(Transaction.Comparison.ne.holds(.string("a"), .number(1)))
        XCTAssertTrue(Transaction.Comparison.eq.holds(.object(["a": .bool(true)]), .object(["a": .bool(true)])))
    }

    func testScanOrderCursorAndHashTagFanout() async throws {
        let engine = try openEngine(temporaryDirectory(self))
        defer { engine.close() }
        let keys = (0..<30).map { String(format: "k%02d", $0) } + ["{t}:a", "{t}:b", "{t}:c"]
        for key in keys.shuffled() {
            _ = try await engine.put(keyspace: "default", key: key, value: bytes(key), contentType: "text/plain")
        }
        var seen: [String] = []
        var after: String?
        repeat {
            let page = try await engine.scan(keyspace: "default", prefix: "k", after: after, limit: 7)
            XCTAssertEqual(page.fanout, 8)
            seen += page.items.map(\.key)
            after = page.nextAfter
        } while after != nil
        XCTAssertEqual(seen, keys.filter { $0.hasPrefix("k") }.sorted())
        let tagged = try await engine.scan(keyspace: "default", prefix: "{t}:", limit: 10)
        XCTAssertEqual(tagged.fanout, 1)
        XCTAssertEqual(tagged.items.map(\.key), ["{t}:a", "{t}:b", "{t}:c"])
        let ranged = try await engine.scan(keyspace: "default", start: "k05", end: "k08", limit: 100)
        XCTAssertEqual(ranged.items.map(\.key), ["k05", "k06", "k07"])
    }
}

final class DropRaceTests: XCTestCase {
    /// Writes racing a drop either land before it or are refused: none is logged after the drop, so after a
    /// re-create and a restart the new keyspace holds none of them.
    func testWritesRacingADropNeverLandAfterIt() async throws {
        let dir = temporaryDirectory(self)
        let engine = try openEngine(dir)
        _ = try await engine.putKeyspace(KeyspaceConfig(name: "race"))
        let writers = Task {
            var refused = 0  // writes that met the drop: refused, never logged after it
            for i in 0..<2000 {
                do {
                    _ = try await engine.put(
                        keyspace: "race", key: "k\(i)", value: bytes("v"), contentType: "text/plain")
                } catch {
                    XCTAssertEqual((error as? TesseraError)?.code, .keyspaceNotFound)
                    refused += 1
                }
            }
            return refused
        }
        try await Task.sleep(for: .milliseconds(5))
        try await engine.dropKeyspace("race")
        _ = try await engine.putKeyspace(KeyspaceConfig(name: "race"))
        _ = await writers.value
        let live = try engine.itemCount(keyspace: "race")
        engine.close()
        let reopened = try openEngine(dir)
        defer { reopened.close() }
        XCTAssertEqual(try reopened.itemCount(keyspace: "race"), live, "recovery agrees with what was served")
    }
}
