import ArgumentParser
import Foundation
import TesseraClient
import TesseraCore

/// `tessera keyspace create|list|show|drop`.
struct KeyspaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyspace", abstract: "Manage keyspaces.",
        subcommands: [Create.self, List.self, Show.self, Drop.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or update a keyspace.")
        @OptionGroup var client: ClientOptions
        @Argument var name: String
        @Option(help: "available or strong.") var consistency: String?
        @Option var replicas: Int?
        @Option var changeRetentionSeconds: Int?

        func run() async throws {
            var body: [String: Any] = [:]
            if let consistency { body["consistency"] = consistency }
            if let replicas { body["replicas"] = replicas }
            if let changeRetentionSeconds { body["changeRetentionSeconds"] = changeRetentionSeconds }
            let data = try JSONSerialization.data(withJSONObject: body)
            try await client.with { http in
                let response = try await client.call(
                    http, "PUT", "/v1/keyspaces/\(Names.percentEncode(name))",
                    headers: [("Content-Type", "application/json")],
                    body: [UInt8](data))
                print(
                    client.json ? response.text : "\(response.status == 201 ? "created" : "updated") keyspace \(name)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keyspaces.")
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await client.with { http in
                let response = try await client.call(http, "GET", "/v1/keyspaces")
                if client.json {
                    print(response.text)
                    return
                }
                print("NAME".padding(toLength: 24, withPad: " ", startingAt: 0) + "CONSISTENCY  REPLICAS  ITEMS")
                for ks in try response.json()["keyspaces"]?.arrayValue ?? [] {
                    let name = ks["name"]?.stringValue ?? ""
                    let consistency = ks["consistency"]?.stringValue ?? ""
                    print(
                        name.padding(toLength: 24, withPad: " ", startingAt: 0)
                            + consistency.padding(toLength: 13, withPad: " ", startingAt: 0)
                            + String(ks["replicas"]?.int64Value ?? 0).padding(toLength: 10, withPad: " ", startingAt: 0)
                            + String(ks["items"]?.int64Value ?? 0))
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a keyspace.")
        @OptionGroup var client: ClientOptions
        @Argument var name: String

        func run() async throws {
            try await client.with { http in
                let response = try await client.call(http, "GET", "/v1/keyspaces/\(Names.percentEncode(name))")
                print(client.json ? response.text : pretty(response.body))
            }
        }
    }

    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Drop a keyspace and its items.")
        @OptionGroup var client: ClientOptions
        @Argument var name: String

        func run() async throws {
            try await client.with { http in
                _ = try await client.call(http, "DELETE", "/v1/keyspaces/\(Names.percentEncode(name))")
                print(client.json ? "{\"dropped\":true}" : "dropped keyspace \(name)")
            }
        }
    }
}

/// `tessera txn FILE`.
struct Txn: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a transaction from a JSON file (- for stdin).")
    @OptionGroup var client: ClientOptions
    @Option(help: "Keyspace.") var keyspace = "default"
    @Argument var file: String

    func run() async throws {
        let body = try readInput(file)
        try await client.with { http in
            let response = try await client.call(
                http, "POST", "/v1/txn/\(Names.percentEncode(keyspace))",
                headers: [("Content-Type", "application/json")],
                body: body)
            print(client.json ? response.text : pretty(response.body))
        }
    }
}

/// `tessera cluster status` and `tessera cluster leave`.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "Inspect the cluster, or decommission a node.",
        subcommands: [Status.self, Leave.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Nodes, states, partitions per node and load.")
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await client.with { http in
                let response = try await client.call(http, "GET", "/v1/cluster")
                if client.json {
                    print(response.text)
                    return
                }
                let json = try response.json()
                var owned: [String: Int] = [:]
                var primary: [String: Int] = [:]
                for placement in json["placement"]?.arrayValue ?? [] {
                    let replicas = placement["replicas"]?.arrayValue ?? []
                    for replica in replicas { owned[replica.stringValue ?? "", default: 0] += 1 }
                    if let first = replicas.first?.stringValue { primary[first, default: 0] += 1 }
                }
                func cell(_ text: String, _ width: Int) -> String {
                    text.padding(toLength: max(width, text.count + 1), withPad: " ", startingAt: 0)
                }
                print(
                    cell("NODE", 8) + cell("ADDRESS", 17) + cell("REGION", 8) + cell("STATE", 9) + cell("PARTS", 7)
                        + cell("PRIMARY", 8) + cell("KEYS", 10) + cell("BYTES", 12) + "REBALANCE")
                for node in json["nodes"]?.arrayValue ?? [] {
                    let id = node["id"]?.stringValue ?? ""
                    let rebalance = node["rebalance"]
                    let total = rebalance?["transfersTotal"]?.int64Value ?? 0
                    let done = rebalance?["transfersDone"]?.int64Value ?? 0
                    let moved = rebalance?["itemsMoved"]?.int64Value ?? 0
                    print(
                        cell(id, 8) + cell(node["address"]?.stringValue ?? "", 17)
                            + cell(node["region"]?.stringValue ?? "", 8) + cell(node["state"]?.stringValue ?? "", 9)
                            + cell(String(owned[id] ?? 0), 7) + cell(String(primary[id] ?? 0), 8)
                            + cell(String(node["keys"]?.int64Value ?? 0), 10)
                            + cell(String(node["storageBytes"]?.int64Value ?? 0), 12)
                            + (total > 0 ? "\(done)/\(total) partitions, \(moved) items" : "-"))
                }
                print(
                    "partitions: \(json["partitions"]?.int64Value ?? 0)  (PARTS: replicas held of the default keyspace; "
                        + "hints pending: \(json["hintsPending"]?.int64Value ?? 0))")
            }
        }
    }

    struct Leave: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decommission a node: it hands its partitions to their new owners, then stops.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "The node id.") var node: String

        func run() async throws {
            try await client.with { http in
                let response = try await client.call(http, "DELETE", "/v1/cluster/nodes/\(Names.percentEncode(node))")
                print(client.json ? response.text : "node \(node) is leaving; it stops once its data is handed off")
            }
        }
    }
}

/// `tessera query KS FILE`.
struct Query: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Query a secondary index with a JSON file (- for stdin).")
    @OptionGroup var client: ClientOptions
    @Argument var keyspace: String
    @Argument var file: String

    func run() async throws {
        let body = try readInput(file)
        try await client.with { http in
            let response = try await client.call(
                http, "POST", "/v1/query/\(Names.percentEncode(keyspace))",
                headers: [("Content-Type", "application/json")],
                body: body)
            if client.json {
                print(response.text)
                return
            }
            let json = try response.json()
            for hit in json["hits"]?.arrayValue ?? [] {
                var line = hit["key"]?.stringValue ?? ""
                if let score = hit["score"]?.numberValue { line += "\tscore \(score)" }
                if let distance = hit["distanceM"]?.numberValue { line += "\t\(distance) m" }
                line += "\t" + (hit["value"]?.serialized ?? hit["valueBase64"]?.stringValue ?? "")
                print(line)
            }
            print("(\(json["hits"]?.arrayValue?.count ?? 0) hits, fanout \(json["fanout"]?.int64Value ?? 0))")
        }
    }
}
