import Foundation
import TesseraClient
import TesseraCore
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Multi-process clusters on loopback: quorum replication through `kill -9` and SIGSTOP, catch-up by hinted
/// handoff and anti-entropy, joining and decommissioning under a steady write load.
final class ClusterTests: XCTestCase {
    var harness: ClusterHarness!

    override func setUp() async throws {
        harness = ClusterHarness()
    }

    override func tearDown() async throws {
        await harness.shutdown()
    }

    private func startThree() async throws {
        for id in ["n1", "n2", "n3"] { try await harness.start(id) }
        let response = try await harness.client("n1").send(
            "PUT", "/v1/keyspaces/kv", body: Array(#"{"replicas": 3}"#.utf8))
        XCTAssertEqual(response.status, 201, response.text)
    }

    func testQuorumWritesSurviveKillNineAndTheNodeCatchesUp() async throws {
        try await startThree()
        // The keyspace created on n1 is known on n3 at once.
        let shown = try await harness.client("n3").send("GET", "/v1/keyspaces/kv")
        XCTAssertEqual(shown.status, 200)
        var expected: [String: String] = [:]
        let nodes = ["n1", "n2", "n3"]
        for index in 0..<120 {
            let response = try await harness.put(nodes[index % 3], "kv", "k\(index)", "a\(index)")
            XCTAssertTrue([200, 201].contains(response.status), response.text)
            expected["k\(index)"] = "a\(index)"
        }
        harness.nodes["n2"]!.crash()
        // Every node sees n2 down within seconds.
        let down = try await harness.eventually(seconds: 10) {
            let a = try await harness.state(of: "n2", seenBy: "n1")
            let b = try await harness.state(of: "n2", seenBy: "n3")
            return a == "down" && b == "down"
        }
        XCTAssertTrue(down, "n2 was not reported down")
        // Quorum writes go on: overwrite half the keys, add new ones.
        for index in 0..<180 where index % 2 == 0 || index >= 120 {
            let response = try await harness.put(index % 2 == 0 ? "n1" : "n3", "kv", "k\(index)", "b\(index)")
            XCTAssertTrue([200, 201].contains(response.status), response.text)
            expected["k\(index)"] = "b\(index)"
        }
        // `all` cannot be met with a replica down: 503, and nothing is written.
        let refused = try await harness.put("n1", "kv", "refused", "x", consistency: "all")
        XCTAssertEqual(refused.status, 503)
        XCTAssertEqual(try refused.json()["error"]?["code"]?.stringValue, "unavailable")
        let absent = try await harness.get("n3", "kv", "refused")
        XCTAssertEqual(absent.status, 404)
        // Quorum reads return the newest acknowledged value.
        for (key, value) in expected {
            let response = try await harness.get(key.hashValue % 2 == 0 ? "n1" : "n3", "kv", key)
            XCTAssertEqual(response.status, 200, key)
            XCTAssertEqual(response.text, value, key)
        }
        // A conditional write through a node that is not the key's first replica is serialized there.
        let created = try await harness.client("n3").send(
            "PUT", TesseraClient.itemPath("kv", "once"), headers: [("If-None-Match", "*")], body: Array("1".utf8))
        XCTAssertEqual(created.status, 201, created.text)
        let again = try await harness.client("n1").send(
            "PUT", TesseraClient.itemPath("kv", "once"), headers: [("If-None-Match", "*")], body: Array("2".utf8))
        XCTAssertEqual(again.status, 412, again.text)
        expected["once"] = "1"
        // Scans fan out to every partition; a hash-tag prefix reads one.
        let scan = try await harness.client("n1").send("GET", "/v1/kv/kv", query: [("limit", "1000")])
        XCTAssertEqual(scan.headers["tessera-fanout"], "64")
        XCTAssertEqual(try scan.json()["items"]?.arrayValue?.count, expected.count)
        let tagged = try await harness.client("n1").send("GET", "/v1/kv/kv", query: [("prefix", "{t}")])
        XCTAssertEqual(tagged.headers["tessera-fanout"], "1")

        // Restarted, n2 catches up (hints, then anti-entropy) until every replica agrees, key by key.
        try await harness.restart("n2")
        let converged = try await harness.eventually(seconds: 60) {
            try await harness.divergent("n2", "kv", expected).isEmpty
        }
        let stillWrong = try await harness.divergent("n2", "kv", expected)
        XCTAssertTrue(converged, "n2 still differs on \(stillWrong.prefix(10))")
        for id in ["n1", "n3"] {
            let wrong = try await harness.divergent(id, "kv", expected)
            XCTAssertEqual(wrong, [], "\(id) differs")
        }
    }

    func testJoinAndDecommissionUnderLoadLoseNoAcknowledgedWrite() async throws {
        try await startThree()
        let writer = SteadyWriter()
        let cluster: ClusterHarness = harness
        let load = Task { await SteadyWriter.run(writer, harness: cluster, via: ["n1", "n2", "n3"], ks: "kv") }
        try await Task.sleep(for: .milliseconds(500))
        try await harness.start("n4")
        try await Task.sleep(for: .milliseconds(500))
        // The share n4 copied is the ring's prediction: the keyspace partitions whose replica set gains n4.
        let view = try await harness.client("n1").send("GET", "/v1/cluster").json()
        let partitions = Int(view["partitions"]?.int64Value ?? 0)
        let before = ConsistentHashRing(
            members: ["n1", "n2", "n3"].map { RingMember(id: $0, region: "local") }, partitions: partitions)
        let after = ConsistentHashRing(
            members: ["n1", "n2", "n3", "n4"].map { RingMember(id: $0, region: "local") }, partitions: partitions)
        let predicted = (0..<partitions).filter {
            after.replicas(of: $0, count: 3).contains("n4") && !before.replicas(of: $0, count: 3).contains("n4")
        }.count
        let moved = ConsistentHashRing.moved(from: before, to: after, replicas: 3).count
        XCTAssertEqual(predicted, moved, "with one node added, every moved partition gains it")
        let n4 = view["nodes"]?.arrayValue?.first { $0["id"]?.stringValue == "n4" }
        // Two keyspaces (default and kv) with 3 replicas each.
        XCTAssertEqual(n4?["rebalance"]?["transfersTotal"]?.int64Value, Int64(2 * predicted))
        XCTAssertEqual(n4?["rebalance"]?["transfersDone"]?.int64Value, Int64(2 * predicted))
        let placement = view["placement"]?.arrayValue ?? []
        XCTAssertEqual(placement.filter { ($0["replicas"]?.arrayValue ?? []).contains(.string("n4")) }.count, predicted)

        // Decommission n2 under the same load (writes now go through n1, n3 and n4).
        await writer.stop()
        _ = await load.value
        // Once the membership is stable, each node drops what it no longer replicates: every key is held
        // exactly three times (and anti-entropy completes writes that reached fewer replicas).
        let scanned = try await harness.client("n1").send("GET", "/v1/kv/kv", query: [("limit", "10000")])
        let distinct = try scanned.json()["items"]?.arrayValue?.count ?? 0
        var copies = 0
        let exact = try await harness.eventually(seconds: 30) {
            copies = 0
            for id in ["n1", "n2", "n3", "n4"] {
                let metrics = try await harness.client(id).send("GET", "/metrics").text
                let line = metrics.split(separator: "\n").first { $0.hasPrefix("tessera_keys{keyspace=\"kv\"}") }
                copies += Int(line?.split(separator: " ").last ?? "0") ?? 0
            }
            return copies == 3 * distinct
        }
        XCTAssertTrue(exact, "\(copies) copies of \(distinct) keys")
        let writer2 = SteadyWriter()
        let load2 = Task { await SteadyWriter.run(writer2, harness: cluster, via: ["n1", "n3", "n4"], ks: "kv") }
        try await Task.sleep(for: .milliseconds(300))
        let leave = try await harness.client("n3").send("DELETE", "/v1/cluster/nodes/n2")
        XCTAssertEqual(leave.status, 202, leave.text)
        let gone = try await harness.eventually(seconds: 60) {
            try await harness.state(of: "n2", seenBy: "n1") == nil && harness.nodes["n2"]!.exitStatus != nil
        }
        XCTAssertTrue(gone, "n2 did not leave and stop")
        try await Task.sleep(for: .milliseconds(300))
        await writer2.stop()
        _ = await load2.value
        let first = await writer.acknowledged
        let second = await writer2.acknowledged
        XCTAssertGreaterThan(first.count, 20)
        XCTAssertGreaterThan(second.count, 20)
        for (key, value) in first.merging(second, uniquingKeysWith: { $1 }) {
            let response = try await harness.get(["n1", "n3", "n4"][abs(key.hashValue) % 3], "kv", key)
            XCTAssertEqual(response.text, value, "acknowledged write \(key) lost")
        }
        let final = try await harness.client("n4").send("GET", "/v1/cluster").json()
        XCTAssertEqual(final["nodes"]?.arrayValue?.compactMap { $0["id"]?.stringValue }, ["n1", "n3", "n4"])
    }

    func testStoppedReplicaDoesNotBlockQuorumAndCatchesUpAfterContinue() async throws {
        try await startThree()
        harness.nodes["n3"]!.signal(SIGSTOP)
        var expected: [String: String] = [:]
        for index in 0..<100 {
            let response = try await harness.put(index % 2 == 0 ? "n1" : "n2", "kv", "s\(index)", "v\(index)")
            XCTAssertTrue([200, 201].contains(response.status), response.text)
            expected["s\(index)"] = "v\(index)"
        }
        for (key, value) in expected.prefix(30) {
            let response = try await harness.get("n1", "kv", key)
            XCTAssertEqual(response.text, value)
        }
        let suspected = try await harness.eventually(seconds: 10) {
            ["suspect", "down"].contains(try await harness.state(of: "n3", seenBy: "n1") ?? "")
        }
        XCTAssertTrue(suspected, "n1 did not notice that n3 stopped answering")
        harness.nodes["n3"]!.signal(SIGCONT)
        let converged = try await harness.eventually(seconds: 60) {
            try await harness.divergent("n3", "kv", expected).isEmpty
        }
        XCTAssertTrue(converged, "n3 did not catch up")
        let up = try await harness.eventually(seconds: 10) { try await harness.state(of: "n3", seenBy: "n1") == "up" }
        XCTAssertTrue(up)
    }

    func testTransactionsLocksAndFencesWorkThroughAnyNode() async throws {
        try await startThree()
        let nodes = ["n1", "n2", "n3"]
        // An incr transaction through every node in turn: each is serialized by the partition's primary.
        for round in 0..<9 {
            let body = #"{"success":[{"op":"incr","key":"{c}:counter","by":1}]}"#
            let response = try await harness.client(nodes[round % 3]).send(
                "POST", "/v1/txn/kv", body: Array(body.utf8))
            XCTAssertEqual(response.status, 200, response.text)
        }
        for id in nodes {
            let counter = try await harness.get(id, "kv", "{c}:counter")
            XCTAssertEqual(counter.text, "9", "read through \(id)")
        }
        let compare =
            #"{"compare":[{"key":"{c}:counter","value":{"eq":9}}],"success":[{"op":"put","key":"{c}:done","value":true}],"failure":[]}"#
        let compared = try await harness.client("n3").send("POST", "/v1/txn/kv", body: Array(compare.utf8))
        XCTAssertEqual(try compared.json()["succeeded"], .bool(true), compared.text)
        let done = try await harness.get("n1", "kv", "{c}:done")
        XCTAssertEqual(done.text, "true")

        // A lock is held on its home node whichever node is asked.
        let acquire = #"{"ttlMs":10000,"owner":"a"}"#
        let first = try await harness.client("n1").send("POST", "/v1/locks/job", body: Array(acquire.utf8))
        XCTAssertEqual(first.status, 200, first.text)
        let lease = try first.json()
        for id in ["n2", "n3"] {
            let held = try await harness.client(id).send("POST", "/v1/locks/job", body: Array(#"{"owner":"b"}"#.utf8))
            XCTAssertEqual(held.status, 409, "through \(id): \(held.text)")
        }
        let token = lease["fencingToken"]?.int64Value ?? 0
        let fenced = try await harness.client("n2").send(
            "PUT", TesseraClient.itemPath("kv", "guarded"), headers: [("Tessera-Fence", "job:\(token)")],
            body: Array("1".utf8))
        XCTAssertEqual(fenced.status, 201, fenced.text)
        let released = try await harness.client("n3").send(
            "DELETE", "/v1/locks/job", query: [("leaseId", lease["leaseId"]?.stringValue ?? "")])
        XCTAssertEqual(released.status, 204, released.text)
        let second = try await harness.client("n2").send("POST", "/v1/locks/job", body: Array(acquire.utf8))
        XCTAssertEqual(try second.json()["fencingToken"]?.int64Value, token + 1)
        let stale = try await harness.client("n3").send(
            "PUT", TesseraClient.itemPath("kv", "guarded"), headers: [("Tessera-Fence", "job:\(token)")],
            body: Array("2".utf8))
        XCTAssertEqual(stale.status, 409, stale.text)
        XCTAssertEqual(try stale.json()["error"]?["code"]?.stringValue, "fenced")
        let kept = try await harness.get("n1", "kv", "guarded")
        XCTAssertEqual(kept.text, "1")
    }

    func testQueriesFanOutToEveryPartitionAndMergeInIndexOrder() async throws {
        for id in ["n1", "n2", "n3"] { try await harness.start(id) }
        // One copy of each partition: every node holds only part of the data, so a query must gather.
        let definition = #"""
            {"replicas":1,"indexes":[{"name":"by_age","type":"ordered","fields":["age"]},
             {"name":"where","type":"geo","field":"location"},{"name":"words","type":"text","fields":["body"]}]}
            """#
        let created = try await harness.client("n2").send("PUT", "/v1/keyspaces/people", body: Array(definition.utf8))
        XCTAssertEqual(created.status, 201, created.text)
        var points: [String: (Double, Double)] = [:]
        for index in 0..<60 {
            let lat = 48.0 + Double(index % 10) * 0.01
            let lon = 2.0 + Double(index / 10) * 0.01
            points["p\(index)"] = (lat, lon)
            let body =
                #"{"age":\#((index * 37) % 60),"location":{"lat":\#(lat),"lon":\#(lon)},"body":"word\#(index % 3)"}"#
            let response = try await harness.client(["n1", "n2", "n3"][index % 3]).send(
                "PUT", TesseraClient.itemPath("people", "p\(index)"), headers: [("Content-Type", "application/json")],
                body: Array(body.utf8))
            XCTAssertEqual(response.status, 201, response.text)
        }
        func query(_ via: String, _ body: String) async throws -> JSONValue {
            let response = try await harness.client(via).send("POST", "/v1/query/people", body: Array(body.utf8))
            XCTAssertEqual(response.status, 200, response.text)
            return try response.json()
        }
        func keys(_ result: JSONValue) -> [String] {
            (result["hits"]?.arrayValue ?? []).compactMap { $0["key"]?.stringValue }
        }
        // Ordered: ages 10..<30 in order, two pages through two different nodes.
        var ages: [(key: String, age: Int)] = []
        for index in 0..<60 where (index * 37) % 60 >= 10 && (index * 37) % 60 < 30 {
            ages.append((key: "p\(index)", age: (index * 37) % 60))
        }
        ages.sort { $0.age != $1.age ? $0.age < $1.age : $0.key < $1.key }
        let expected = ages.map(\.key)
        let first = try await query("n1", #"{"index":"by_age","range":{"age":{"gte":10,"lt":30}},"limit":12}"#)
        XCTAssertEqual(first["fanout"]?.int64Value, 64)
        XCTAssertEqual(keys(first), Array(expected.prefix(12)))
        let cursor = first["next"]?.stringValue ?? ""
        let second = try await query(
            "n3", #"{"index":"by_age","range":{"age":{"gte":10,"lt":30}},"limit":12,"cursor":"\#(cursor)"}"#)
        XCTAssertEqual(keys(second), Array(expected.dropFirst(12)))
        // Geo: the 5 nearest to a corner, nearest first, as a brute force over every point says.
        let nearest = try await query("n2", #"{"index":"where","nearest":{"lat":48.0,"lon":2.0},"k":5}"#)
        let byDistance = points.sorted { a, b in
            let da = (a.value.0 - 48.0) * (a.value.0 - 48.0) + (a.value.1 - 2.0) * (a.value.1 - 2.0) * 0.44
            let db = (b.value.0 - 48.0) * (b.value.0 - 48.0) + (b.value.1 - 2.0) * (b.value.1 - 2.0) * 0.44
            return da != db ? da < db : a.key < b.key
        }
        XCTAssertEqual(keys(nearest).first, byDistance.first?.key)
        XCTAssertEqual(Set(keys(nearest)).count, 5)
        let distances = (nearest["hits"]?.arrayValue ?? []).compactMap { $0["distanceM"]?.numberValue }
        XCTAssertEqual(distances, distances.sorted())
        // Text: every document with word1 (20 of them) across all nodes.
        let text = try await query("n1", #"{"index":"words","text":"word1","limit":50}"#)
        XCTAssertEqual(Set(keys(text)), Set((0..<60).filter { $0 % 3 == 1 }.map { "p\($0)" }))
    }

    func testChangeStreamMergesEveryPartitionWithOneCursor() async throws {
        for id in ["n1", "n2", "n3"] { try await harness.start(id) }
        let created = try await harness.client("n1").send(
            "PUT", "/v1/keyspaces/feed", body: Array(#"{"replicas": 2}"#.utf8))
        XCTAssertEqual(created.status, 201, created.text)
        let start = try await harness.client("n1").send("GET", "/v1/changes/feed", query: [("wait", "0")])
        XCTAssertEqual(start.status, 200, start.text)
        var cursor = try start.json()["cursor"]?.stringValue ?? ""
        XCTAssertTrue(cursor.hasPrefix("c."), cursor)
        let nodes = ["n1", "n2", "n3"]
        for index in 0..<30 {
            let response = try await harness.put(nodes[index % 3], "feed", "e\(index)", "v\(index)")
            XCTAssertEqual(response.status, 201)
        }
        var seen: [String: String] = [:]
        for round in 0..<40 where seen.count < 30 {
            let page = try await harness.client(nodes[round % 3]).send(
                "GET", "/v1/changes/feed", query: [("cursor", cursor), ("wait", "2")])
            XCTAssertEqual(page.status, 200, page.text)
            let json = try page.json()
            for event in json["events"]?.arrayValue ?? [] {
                if let key = event["key"]?.stringValue { seen[key] = event["valueBase64"]?.stringValue }
            }
            cursor = json["cursor"]?.stringValue ?? cursor
        }
        XCTAssertEqual(Set(seen.keys), Set((0..<30).map { "e\($0)" }), "every partition's events, through any node")
        let after = try await harness.client("n2").send(
            "GET", "/v1/changes/feed", query: [("cursor", cursor), ("wait", "0.3")])
        XCTAssertEqual(try after.json()["events"]?.arrayValue?.count, 0, "the cursor covers what was delivered")
        let earliest = try await harness.client("n3").send(
            "GET", "/v1/changes/feed", query: [("cursor", "earliest"), ("limit", "1000")])
        let all = Set((try earliest.json()["events"]?.arrayValue ?? []).compactMap { $0["key"]?.stringValue })
        XCTAssertEqual(all, Set((0..<30).map { "e\($0)" }))
        let bad = try await harness.client("n1").send("GET", "/v1/changes/feed", query: [("cursor", "c.nonsense")])
        XCTAssertEqual(bad.status, 400)
    }

    func testRegionPinnedKeyspaceKeepsEachRegionsDataOnItsNodes() async throws {
        try await harness.start("n1", region: "eu")
        try await harness.start("n2", region: "eu")
        try await harness.start("n3", region: "us")
        try await harness.start("n4", region: "us")
        let created = try await harness.client("n3").send(
            "PUT", "/v1/keyspaces/pinned", body: Array(#"{"replicas": 2, "regions": true}"#.utf8))
        XCTAssertEqual(created.status, 201, created.text)
        for index in 0..<20 {
            let eu = try await harness.put(["n1", "n3"][index % 2], "pinned", "{eu}:k\(index)", "e\(index)")
            XCTAssertEqual(eu.status, 201, eu.text)
            let us = try await harness.put(["n2", "n4"][index % 2], "pinned", "{us}:k\(index)", "u\(index)")
            XCTAssertEqual(us.status, 201, us.text)
        }
        let located = try await harness.client("n4").send("GET", "/v1/cluster/locate/pinned/%7Beu%7D%3Ak1").json()
        XCTAssertEqual(located["region"]?.stringValue, "eu")
        XCTAssertEqual(
            Set((located["replicas"]?.arrayValue ?? []).compactMap(\.stringValue)), ["n1", "n2"])
        // Each node holds its own region's keys only.
        for (id, expected) in [("n1", 20), ("n2", 20), ("n3", 20), ("n4", 20)] {
            let metrics = try await harness.client(id).send("GET", "/metrics").text
            XCTAssertTrue(metrics.contains("tessera_keys{keyspace=\"pinned\"} \(expected)\n"), "\(id): \(metrics)")
        }
        let read = try await harness.get("n3", "pinned", "{eu}:k7")
        XCTAssertEqual(read.text, "e7", "any node reads any region")
        let untagged = try await harness.put("n1", "pinned", "plain", "x")
        XCTAssertEqual(untagged.status, 400)
        let nowhere = try await harness.put("n1", "pinned", "{asia}:k", "x")
        XCTAssertEqual(nowhere.status, 503)
        let euScan = try await harness.client("n4").send(
            "GET", "/v1/kv/pinned", query: [("prefix", "{eu}:"), ("limit", "100")])
        XCTAssertEqual(euScan.headers["tessera-fanout"], "1")
        XCTAssertEqual(try euScan.json()["items"]?.arrayValue?.count, 20)
        let all = try await harness.client("n2").send("GET", "/v1/kv/pinned", query: [("limit", "100")])
        XCTAssertEqual(try all.json()["items"]?.arrayValue?.count, 40)
    }

    func testRemovingADeadNodeRestoresReplicationFromTheSurvivors() async throws {
        for id in ["n1", "n2", "n3"] { try await harness.start(id) }
        let created = try await harness.client("n1").send(
            "PUT", "/v1/keyspaces/two", body: Array(#"{"replicas": 2}"#.utf8))
        XCTAssertEqual(created.status, 201)
        var expected: [String: String] = [:]
        for index in 0..<60 {
            let response = try await harness.put(["n1", "n2", "n3"][index % 3], "two", "d\(index)", "v\(index)")
            XCTAssertEqual(response.status, 201)
            expected["d\(index)"] = "v\(index)"
        }
        harness.nodes["n3"]!.crash()
        let down = try await harness.eventually(seconds: 10) {
            try await harness.state(of: "n3", seenBy: "n1") == "down"
        }
        XCTAssertTrue(down)
        let removed = try await harness.client("n2").send("DELETE", "/v1/cluster/nodes/n3")
        XCTAssertEqual(removed.status, 202, removed.text)
        let gone = try await harness.eventually(seconds: 10) {
            let first = try await harness.state(of: "n3", seenBy: "n1")
            let second = try await harness.state(of: "n3", seenBy: "n2")
            return first == nil && second == nil
        }
        XCTAssertTrue(gone)
        // n1 and n2 are now the two replicas of every partition: anti-entropy copies what only n3 held.
        for id in ["n1", "n2"] {
            let complete = try await harness.eventually(seconds: 60) {
                try await harness.divergent(id, "two", expected).isEmpty
            }
            XCTAssertTrue(complete, "\(id) is missing keys")
        }
        // Started again with its old data, the removed node learns it was removed and stops.
        try? await harness.restart("n3")
        let stopped = try await harness.eventually(seconds: 20) { harness.nodes["n3"]!.exitStatus != nil }
        XCTAssertTrue(stopped, "the removed node kept running")
        let absent = try await harness.state(of: "n3", seenBy: "n1")
        XCTAssertNil(absent)
    }
}
