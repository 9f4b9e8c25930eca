import ArgumentParser
import Foundation
import TesseraClient
import TesseraCore

/// `tessera kv put|get|delete|scan`.
struct KV: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv", abstract: "Read and write items.", subcommands: [Put.self, Get.self, Delete.self, Scan.self])

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Store a value (from the argument, or --file).")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Keyspace.") var keyspace: String
        @Argument(help: "Key.") var key: String
        @Argument(help: "Value (omit with --file).") var value: String?
        @Option(help: "Read the value from a file (- for stdin).") var file: String?
        @Option(help: "Content type (default: application/json when the value is JSON, else octet-stream).")
        var contentType: String?
        @Option(help: "Expire after SECONDS.") var ttl: Double?
        @Option(help: "Compare and swap: the expected version.") var ifMatch: String?
        @Flag(help: "Create only.") var create = false
        @Option(help: "Fencing token as LOCK:TOKEN.") var fence: String?

        func run() async throws {
            let bytes: [UInt8]
            if let file {
                bytes = try readInput(file)
            } else if let value {
                bytes = Array(value.utf8)
            } else {
                throw UsageError(description: "give a value or --file")
            }
            let type = contentType ?? (JSONParser.isValid(bytes) ? "application/json" : "application/octet-stream")
            var headers = [("Content-Type", type)]
            if let ifMatch { headers.append(("If-Match", "\"\(ifMatch)\"")) }
            if create { headers.append(("If-None-Match", "*")) }
            if let fence { headers.append(("Tessera-Fence", fence)) }
            let query = ttl.map { [("ttl", String($0))] } ?? []
            try await client.with { http in
                let response = try await client.call(
                    http, "PUT", TesseraClient.itemPath(keyspace, key), query: query, headers: headers, body: bytes)
                if client.json {
                    print(response.text)
                } else {
                    let version = (try? response.json())?["version"]?.stringValue ?? "?"
                    print("\(response.status == 201 ? "created" : "updated") \(key) version \(version)")
                }
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a value.")
        @OptionGroup var client: ClientOptions
        @Argument var keyspace: String
        @Argument var key: String

        func run() async throws {
            try await client.with { http in
                let response = try await client.call(http, "GET", TesseraClient.itemPath(keyspace, key))
                let version = response.headers["etag"].map {
                    $0.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                }
                if client.json {
                    var out: [String: Any] = [
                        "key": key, "version": version ?? "", "contentType": response.headers["content-type"] ?? "",
                    ]
                    if let value = try? JSONSerialization.jsonObject(
                        with: Data(response.body), options: [.fragmentsAllowed]),
                        response.headers["content-type"]?.contains("json") ?? false
                    {
                        out["value"] = value
                    } else {
                        out["valueBase64"] = Data(response.body).base64EncodedString()
                    }
                    let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    FileHandle.standardOutput.write(Data(response.body))
                    if response.body.last != UInt8(ascii: "\n") { print("") }
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a key.")
        @OptionGroup var client: ClientOptions
        @Argument var keyspace: String
        @Argument var key: String
        @Option(help: "Only if at this version.") var ifMatch: String?
        @Option(help: "Fencing token as LOCK:TOKEN.") var fence: String?

        func run() async throws {
            var headers: [(String, String)] = []
            if let ifMatch { headers.append(("If-Match", "\"\(ifMatch)\"")) }
            if let fence { headers.append(("Tessera-Fence", fence)) }
            try await client.with { http in
                _ = try await client.call(http, "DELETE", TesseraClient.itemPath(keyspace, key), headers: headers)
                print(client.json ? "{\"deleted\":true}" : "deleted \(key)")
            }
        }
    }

    struct Scan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List items in key order.")
        @OptionGroup var client: ClientOptions
        @Argument var keyspace: String
        @Option var prefix: String?
        @Option var start: String?
        @Option var end: String?
        @Option var limit: Int = 100
        @Option var cursor: String?
        @Flag var keysOnly = false

        func run() async throws {
            var query: [(String, String)] = [("limit", String(limit))]
            if let prefix { query.append(("prefix", prefix)) }
            if let start { query.append(("start", start)) }
            if let end { query.append(("end", end)) }
            if let cursor { query.append(("cursor", cursor)) }
            if keysOnly { query.append(("keysOnly", "true")) }
            try await client.with { http in
                let response = try await client.call(
                    http, "GET", "/v1/kv/\(Names.percentEncode(keyspace))", query: query)
                if client.json {
                    print(response.text)
                    return
                }
                let json = try response.json()
                for item in json["items"]?.arrayValue ?? [] {
                    let key = item["key"]?.stringValue ?? ""
                    let value =
                        item["value"].map { $0.serialized } ?? item["valueBase64"].map {
                            "base64:" + ($0.stringValue ?? "")
                        } ?? ""
                    print(keysOnly ? key : "\(key)\t\(value)")
                }
                if let next = json["next"]?.stringValue { print("next cursor: \(next)") }
                print("(read \(response.headers["tessera-fanout"] ?? "?") partitions)")
            }
        }
    }
}
