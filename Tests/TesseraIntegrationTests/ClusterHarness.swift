import Foundation
import TesseraClient
import TesseraCore
import XCTest

/// Several real `tessera serve` processes on loopback forming one cluster, stopped by the test's tear-down.
final class ClusterHarness: @unchecked Sendable {
    private(set) var nodes: [String: TesseraProcess] = [:]
    private(set) var clients: [String: TesseraClient] = [:]
    let root: String
    private var seed: TesseraProcess?

    init() {
        root = NSTemporaryDirectory() + "tessera-cluster-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    /// Starts node `id`; every node after the first joins the first. Waits until it is up (its share copied).
    @discardableResult
    func start(_ id: String, region: String = "local") async throws -> TesseraProcess {
        var arguments = [
            "--node-id", id, "--region", region, "--anti-entropy-interval-ms", "20", "--gossip-interval-ms", "200",
            "--cleanup-delay-ms", "1500",
        ]
        if let seed { arguments += ["--join", "127.0.0.1:\(seed.port)"] }
        let node = TesseraProcess(dataDirectory: root + "/" + id, extraArguments: arguments)
        try await node.start(readyWithinSeconds: 60)
        if seed == nil { seed = node }
        nodes[id] = node
        clients[id] = TesseraClient(baseURL: node.url, connections: 8, timeoutSeconds: 10)
        return node
    }

    /// Restarts a stopped or crashed node with its data directory (no `--join`: it remembers the cluster).
    func restart(_ id: String) async throws {
        guard let node = nodes[id] else { return }
        try await node.start(readyWithinSeconds: 60)
    }

    func client(_ id: String) -> TesseraClient { clients[id]! }

    /// Stops every node and removes the data.
    func shutdown() async {
        for node in nodes.values { node.crash() }
        for client in clients.values { try? await client.shutdown() }
        try? FileManager.default.removeItem(atPath: root)
    }

    func put(_ via: String, _ ks: String, _ key: String, _ value: String, consistency: String = "quorum")
        async throws -> ClientResponse
    {
        try await client(via).send(
            "PUT", TesseraClient.itemPath(ks, key), headers: [("Tessera-Consistency", consistency)],
            body: Array(value.utf8))
    }

    func get(_ via: String, _ ks: String, _ key: String, consistency: String = "quorum") async throws
        -> ClientResponse
    {
        try await client(via).send(
            "GET", TesseraClient.itemPath(ks, key), headers: [("Tessera-Consistency", consistency)])
    }

    /// The state node `observer` reports for node `id` in `GET /v1/cluster` (nil when absent).
    func state(of id: String, seenBy observer: String) async throws -> String? {
        let json = try await client(observer).send("GET", "/v1/cluster").json()
        for node in json["nodes"]?.arrayValue ?? [] where node["id"]?.stringValue == id {
            return node["state"]?.stringValue
        }
        return nil
    }

    /// Polls `condition` every 100 ms for up to `seconds`; true once it holds.
    func eventually(seconds: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    /// Keys (of `expected`) whose value node `id` holds locally (read at `one` on that node) differs.
    func divergent(_ id: String, _ ks: String, _ expected: [String: String]) async throws -> [String] {
        var wrong: [String] = []
        for (key, value) in expected {
            let response = try await get(id, ks, key, consistency: "one")
            if response.status != 200 || response.text != value { wrong.append(key) }
        }
        return wrong.sorted()
    }
}

/// Writes keys at `quorum` in a loop through the given nodes until stopped, recording what was acknowledged.
actor SteadyWriter {
    private(set) var acknowledged: [String: String] = [:]
    private(set) var refused = 0
    private var running = true

    func stop() { running = false }
    var isRunning: Bool { running }

    func record(_ key: String, _ value: String, ok: Bool) {
        if ok { acknowledged[key] = value } else { refused += 1 }
    }

    /// Runs until `stop()`; returns how many writes were acknowledged.
    static func run(_ writer: SteadyWriter, harness: ClusterHarness, via: [String], ks: String) async {
        var index = 0
        while await writer.isRunning {
            let key = "w\(index)"
            let value = "v\(index)"
            let node = via[index % via.count]
            let ok = ((try? await harness.put(node, ks, key, value))?.status).map { $0 == 200 || $0 == 201 } ?? false
            await writer.record(key, value, ok: ok)
            index += 1
        }
    }
}
