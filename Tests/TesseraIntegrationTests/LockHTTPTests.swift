import Foundation
import TesseraClient
import XCTest

final class LockHTTPTests: NodeTestCase {
    func acquire(_ name: String, ttlMs: Int = 10_000, waitMs: Int = 0, owner: String = "t") async throws
        -> ClientResponse
    {
        try await json("POST", "/v1/locks/\(name)", #"{"ttlMs":\#(ttlMs),"waitMs":\#(waitMs),"owner":"\#(owner)"}"#)
    }

    func testAcquireRenewReleaseAndExpiry() async throws {
        let first = try await acquire("job", ttlMs: 400, owner: "a")
        XCTAssertEqual(first.status, 200)
        let lease = try first.json()
        let leaseId = lease["leaseId"]!.stringValue!
        XCTAssertEqual(lease["fencingToken"]?.int64Value, 1)
        let held = try await acquire("job", owner: "b")
        XCTAssertEqual(held.status, 409)
        XCTAssertEqual(held.errorCode, "lock_held")
        XCTAssertEqual(try held.json()["error"]?["owner"]?.stringValue, "a")
        let v65 = try await client.send("GET", "/v1/locks/job").status
        XCTAssertEqual(v65, 200)
        let v66 = try await json("POST", "/v1/locks/job/renew", #"{"leaseId":"\#(leaseId)","ttlMs":300}"#).status
        XCTAssertEqual(v66, 200)
        try await Task.sleep(for: .milliseconds(500))
        let v67 = try await client.send("GET", "/v1/locks/job").status
        XCTAssertEqual(v67, 404)
        let renewLate = try await json("POST", "/v1/locks/job/renew", #"{"leaseId":"\#(leaseId)","ttlMs":300}"#)
        XCTAssertEqual(renewLate.status, 404)
        XCTAssertEqual(renewLate.errorCode, "lease_not_found")
        let second = try await acquire("job", owner: "b").json()
        XCTAssertEqual(second["fencingToken"]?.int64Value, 2)
        let release = try await client.send(
            "DELETE", "/v1/locks/job", query: [("leaseId", second["leaseId"]!.stringValue!)])
        XCTAssertEqual(release.status, 204)
        let v68 = try await client.send("DELETE", "/v1/locks/job", query: [("leaseId", "bogus")]).status
        XCTAssertEqual(v68, 404)
    }

    func testWaiterGetsTheLockWhenReleased() async throws {
        let holder = try await acquire("w").json()
        let http = client!
        async let waiter = http.sendJSON("POST", "/v1/locks/w", #"{"ttlMs":10000,"waitMs":5000,"owner":"waiter"}"#)
        try await Task.sleep(for: .milliseconds(100))
        _ = try await client.send("DELETE", "/v1/locks/w", query: [("leaseId", holder["leaseId"]!.stringValue!)])
        let granted = try await waiter
        XCTAssertEqual(granted.status, 200)
        XCTAssertEqual(try granted.json()["owner"]?.stringValue, "waiter")
        XCTAssertEqual(try granted.json()["fencingToken"]?.int64Value, 2)
    }

    /// Two holders overlapping in time: the one whose lease expired cannot write past the fence.
    func testOverlappingHoldersNeverBothWritePastTheFence() async throws {
        for round in 0..<5 {
            let a = try await acquire("fence", ttlMs: 150, owner: "a").json()
            let tokenA = a["fencingToken"]!.int64Value!
            let v69 = try await put("guarded", "\"a\(round)\"", headers: [("Tessera-Fence", "fence:\(tokenA)")]).status
            XCTAssertEqual(v69, round == 0 ? 201 : 200)
            try await Task.sleep(for: .milliseconds(250))  // a pauses past its lease
            let b = try await acquire("fence", ttlMs: 10_000, owner: "b").json()
            let tokenB = b["fencingToken"]!.int64Value!
            XCTAssertGreaterThan(tokenB, tokenA)
            let v70 = try await put("guarded", "\"b\(round)\"", headers: [("Tessera-Fence", "fence:\(tokenB)")]).status
            XCTAssertEqual(v70, 200)
            let late = try await put("guarded", "\"a-late\"", headers: [("Tessera-Fence", "fence:\(tokenA)")])
            XCTAssertEqual(late.status, 409)
            XCTAssertEqual(late.errorCode, "fenced")
            let lateDelete = try await client.send(
                "DELETE", TesseraClient.itemPath("default", "guarded"), headers: [("Tessera-Fence", "fence:\(tokenA)")])
            XCTAssertEqual(lateDelete.status, 409)
            let v71 = try await get("guarded").text
            XCTAssertEqual(v71, "\"b\(round)\"")
            _ = try await client.send("DELETE", "/v1/locks/fence", query: [("leaseId", b["leaseId"]!.stringValue!)])
        }
    }

    func testFencingTokensIncreaseAcrossCrashRestart() async throws {
        var last: Int64 = 0
        for _ in 0..<3 {
            let lease = try await acquire("durable", ttlMs: 60_000).json()
            let token = lease["fencingToken"]!.int64Value!
            XCTAssertGreaterThan(token, last)
            last = token
            _ = try await client.send(
                "DELETE", "/v1/locks/durable", query: [("leaseId", lease["leaseId"]!.stringValue!)])
            try await restart(crash: true)
        }
        // A lease held across a crash is still held after it.
        let held = try await acquire("kept", ttlMs: 60_000).json()
        try await restart(crash: true)
        let shown = try await client.send("GET", "/v1/locks/kept").json()
        XCTAssertEqual(shown["fencingToken"], held["fencingToken"])
    }
}
