import Foundation
import TesseraClient
import XCTest

/// A real network partition (network namespaces): the `available` choice in practice. The minority side keeps
/// accepting writes at `one` and refuses `quorum`; the majority goes on at `quorum`; after the partition heals
/// every replica converges, the newest write winning.
final class NetworkPartitionTests: XCTestCase {
    func testMinorityTakesOneWritesAndEveryReplicaConvergesAfterTheHeal() async throws {
        if let reason = NetworkLab.available() {
            throw XCTSkip("network namespaces are not available here (\(reason)); this test needs root and ip netns")
        }
        let lab = try NetworkLab()
        do {
            try await scenario(lab)
        } catch {
            await lab.shutdown()
            throw error
        }
        await lab.shutdown()
    }

    private func put(
        _ lab: NetworkLab, _ id: String, _ key: String, _ value: String, _ consistency: String, ks: String = "kv"
    ) async throws -> Int {
        try await lab.client(id).send(
            "PUT", TesseraClient.itemPath(ks, key), headers: [("Tessera-Consistency", consistency)],
            body: Array(value.utf8)
        ).status
    }

    private func local(_ lab: NetworkLab, _ id: String, _ key: String) async throws -> String? {
        let response = try await lab.client(id).send(
            "GET", TesseraClient.itemPath("kv", key), headers: [("Tessera-Consistency", "one")])
        return response.status == 200 ? response.text : nil
    }

    private func state(_ lab: NetworkLab, of id: String, seenBy observer: String) async throws -> String? {
        let json = try await lab.client(observer).send("GET", "/v1/cluster").json()
        return (json["nodes"]?.arrayValue ?? []).first { $0["id"]?.stringValue == id }?["state"]?.stringValue
    }

    private func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return try await condition()
    }

    private func scenario(_ lab: NetworkLab) async throws {
        for id in ["n1", "n2", "n3"] { try await lab.start(id) }
        let created = try await lab.client("n1").send("PUT", "/v1/keyspaces/kv", body: Array(#"{"replicas":3}"#.utf8))
        XCTAssertEqual(created.status, 201, created.text)
        for index in 0..<10 {
            let status = try await put(lab, "n1", "before\(index)", "b\(index)", "quorum")
            XCTAssertEqual(status, 201)
        }
        let early = try await put(lab, "n1", "contested", "early", "quorum")
        XCTAssertEqual(early, 201)
        let strong = try await lab.client("n2").send(
            "PUT", "/v1/keyspaces/cp", body: Array(#"{"replicas":3,"consistency":"strong"}"#.utf8))
        XCTAssertEqual(strong.status, 201, strong.text)
        let strongBefore = try await put(lab, "n1", "s", "1", "quorum", ks: "cp")
        XCTAssertEqual(strongBefore, 201)

        try lab.isolate("n3")
        let split = try await eventually(15) {
            let fromMajority = try await state(lab, of: "n3", seenBy: "n1")
            // The minority must see both others down: while it still counts one alive it attempts quorum
            // writes (applying its own copy) instead of refusing them up front.
            let firstFromMinority = try await state(lab, of: "n1", seenBy: "n3")
            let secondFromMinority = try await state(lab, of: "n2", seenBy: "n3")
            return fromMajority == "down" && firstFromMinority == "down" && secondFromMinority == "down"
        }
        XCTAssertTrue(split, "both sides should see the other down")
        // The minority refuses quorum, but takes writes at `one` (the AP choice).
        let refused = try await put(lab, "n3", "minority", "m", "quorum")
        XCTAssertEqual(refused, 503)
        let accepted = try await put(lab, "n3", "minority", "m", "one")
        XCTAssertEqual(accepted, 201)
        let minorityContested = try await put(lab, "n3", "contested", "from-minority", "one")
        XCTAssertEqual(minorityContested, 200)
        // The majority goes on at quorum; its later write of the contested key is the newest.
        try await Task.sleep(for: .milliseconds(20))
        let majority = try await put(lab, "n1", "majority", "M", "quorum")
        XCTAssertEqual(majority, 201)
        let majorityContested = try await put(lab, "n2", "contested", "from-majority", "quorum")
        XCTAssertEqual(majorityContested, 200)
        let missing = try await local(lab, "n3", "majority")
        XCTAssertNil(missing, "the minority has not seen the majority's write")
        // A strong keyspace refuses on the minority side even at `one`, and goes on with the majority.
        let strongMinorityWrite = try await put(lab, "n3", "s", "minority", "one", ks: "cp")
        XCTAssertEqual(strongMinorityWrite, 503)
        let strongMinorityRead = try await lab.client("n3").send(
            "GET", TesseraClient.itemPath("cp", "s"), headers: [("Tessera-Consistency", "one")])
        XCTAssertEqual(strongMinorityRead.status, 503)
        let strongMajority = try await put(lab, "n1", "s", "2", "one", ks: "cp")
        XCTAssertEqual(strongMajority, 200)

        try lab.heal("n3")
        let converged = try await eventually(60) {
            for id in ["n1", "n2", "n3"] {
                guard try await local(lab, id, "minority") == "m", try await local(lab, id, "majority") == "M",
                    try await local(lab, id, "contested") == "from-majority"
                else { return false }
            }
            return true
        }
        XCTAssertTrue(converged, "the replicas did not converge after the heal")
        for index in 0..<10 {
            let value = try await local(lab, "n3", "before\(index)")
            XCTAssertEqual(value, "b\(index)")
        }
        let rejoined = try await eventually(15) { try await state(lab, of: "n3", seenBy: "n1") == "up" }
        XCTAssertTrue(rejoined)
    }
}
