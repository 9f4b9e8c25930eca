import TesseraCore
import XCTest

@testable import TesseraStorage

final class LockTests: XCTestCase {
    func testTokensStrictlyIncreaseAcrossGrantsAndExpiry() throws {
        var table = LockTable()
        var now: Int64 = 1000
        var tokens: [UInt64] = []
        for i in 0..<5 {
            guard
                case .lockGrant(_, let lease)? = table.tryAcquire(
                    name: "l", owner: "o\(i)", leaseId: "id\(i)", ttlMs: 100, nowMs: now)
            else { return XCTFail("free lock not granted") }
            tokens.append(lease.fencingToken)
            XCTAssertNil(table.tryAcquire(name: "l", owner: "x", leaseId: "x", ttlMs: 100, nowMs: now), "held")
            if i % 2 == 0 {
                now += 100  // expiry
                XCTAssertNil(table.holder(of: "l", nowMs: now))
            } else {
                _ = try table.release(name: "l", leaseId: "id\(i)", nowMs: now)
            }
        }
        XCTAssertEqual(tokens, [1, 2, 3, 4, 5])
    }

    func testRenewAndReleaseNeedTheLiveLease() throws {
        var table = LockTable()
        _ = table.tryAcquire(name: "l", owner: "o", leaseId: "a", ttlMs: 100, nowMs: 0)
        XCTAssertThrowsError(try table.renew(name: "l", leaseId: "b", ttlMs: 100, nowMs: 10))
        _ = try table.renew(name: "l", leaseId: "a", ttlMs: 100, nowMs: 50)
        XCTAssertNotNil(table.holder(of: "l", nowMs: 149))
        XCTAssertThrowsError(try table.renew(name: "l", leaseId: "a", ttlMs: 100, nowMs: 150)) { error in
            XCTAssertEqual((error as? TesseraError)?.code, .leaseNotFound, "an expired lease is gone")
        }
    }

    func testFenceRefusesStaleTokens() throws {
        var table = LockTable()
        _ = table.tryAcquire(name: "l", owner: "o", leaseId: "a", ttlMs: 10, nowMs: 0)
        XCTAssertNoThrow(try table.checkFence(name: "l", token: 1))
        _ = table.tryAcquire(name: "l", owner: "o", leaseId: "b", ttlMs: 10, nowMs: 20)
        XCTAssertThrowsError(try table.checkFence(name: "l", token: 1)) { error in
            XCTAssertEqual((error as? TesseraError)?.code, .fenced)
        }
        XCTAssertNoThrow(try table.checkFence(name: "l", token: 2))
    }

    func testWaitersAreServedFirstComeFirstServed() async throws {
        let engine = try openEngine(temporaryDirectory(self))
        defer { engine.close() }
        let holder = try await engine.acquireLock(name: "q", owner: "h", ttlMs: 60_000, waitMs: 0, leaseId: "h")
        let order = OrderRecorder()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<4 {
                group.addTask {
                    let lease = try await engine.acquireLock(
                        name: "q", owner: "w\(i)", ttlMs: 60_000, waitMs: 10_000, leaseId: "w\(i)")
                    await order.append(i)
                    try await engine.releaseLock(name: "q", leaseId: lease.leaseId)
                }
                // Let each waiter queue before the next one.
                try await Task.sleep(for: .milliseconds(50))
            }
            try await engine.releaseLock(name: "q", leaseId: holder.leaseId)
            try await group.waitForAll()
        }
        let served = await order.values
        XCTAssertEqual(served, [0, 1, 2, 3])
        XCTAssertEqual(engine.locks.withLock { $0.table.lastToken(of: "q") }, 5)
    }

    func testWaiterTimesOutWithLockHeld() async throws {
        let engine = try openEngine(temporaryDirectory(self))
        defer { engine.close() }
        _ = try await engine.acquireLock(name: "t", owner: "h", ttlMs: 60_000, waitMs: 0, leaseId: "h")
        let maintenance = Task { await engine.runMaintenance(tickMs: 10) }
        defer { maintenance.cancel() }
        do {
            _ = try await engine.acquireLock(name: "t", owner: "w", ttlMs: 1000, waitMs: 100, leaseId: "w")
            XCTFail("must time out")
        } catch {
            XCTAssertEqual(error.code, .lockHeld)
            XCTAssertEqual(error.details["owner"], .string("h"))
        }
    }

    func testTokensSurviveRestart() async throws {
        let dir = temporaryDirectory(self)
        var engine: StorageEngine? = try openEngine(dir)
        let lease = try await engine!.acquireLock(name: "r", owner: "o", ttlMs: 60_000, waitMs: 0, leaseId: "a")
        try await engine!.releaseLock(name: "r", leaseId: lease.leaseId)
        engine!.close()
        engine = try openEngine(dir)
        let next = try await engine!.acquireLock(name: "r", owner: "o", ttlMs: 60_000, waitMs: 0, leaseId: "b")
        XCTAssertEqual(next.fencingToken, 2)
        engine!.close()
    }
}

actor OrderRecorder {
    var values: [Int] = []
    func append(_ value: Int) { values.append(value) }
}
