import ArgumentParser
import Foundation
import TesseraClient
import TesseraCore

/// `tessera lock acquire|renew|release`.
struct LockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock", abstract: "Leases with fencing tokens.",
        subcommands: [Acquire.self, Renew.self, Release.self])

    struct Acquire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Acquire a lock.")
        @OptionGroup var client: ClientOptions
        @Argument var name: String
        @Option var ttlMs = 10_000
        @Option var waitMs = 0
        @Option var owner = ProcessInfo.processInfo.hostName

        func run() async throws {
            let body = try JSONSerialization.data(withJSONObject: ["ttlMs": ttlMs, "waitMs": waitMs, "owner": owner])
            try await client.with { http in
                let response = try await client.call(
                    http, "POST", "/v1/locks/\(Names.percentEncode(name))",
                    headers: [("Content-Type", "application/json")],
                    body: [UInt8](body))
                if client.json {
                    print(response.text)
                    return
                }
                let json = try response.json()
                print(
                    "acquired \(name): leaseId \(json["leaseId"]?.stringValue ?? "") fencingToken \(json["fencingToken"]?.int64Value ?? 0)"
                )
            }
        }
    }

    struct Renew: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Extend a lease.")
        @OptionGroup var client: ClientOptions
        @Argument var name: String
        @Option var leaseId: String
        @Option var ttlMs = 10_000

        func run() async throws {
            let body = try JSONSerialization.data(withJSONObject: ["leaseId": leaseId, "ttlMs": ttlMs])
            try await client.with { http in
                let response = try await client.call(
                    http, "POST", "/v1/locks/\(Names.percentEncode(name))/renew",
                    headers: [("Content-Type", "application/json")], body: [UInt8](body))
                print(client.json ? response.text : "renewed \(name)")
            }
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Release a lease.")
        @OptionGroup var client: ClientOptions
        @Argument var name: String
        @Option var leaseId: String

        func run() async throws {
            try await client.with { http in
                _ = try await client.call(
                    http, "DELETE", "/v1/locks/\(Names.percentEncode(name))", query: [("leaseId", leaseId)])
                print(client.json ? "{\"released\":true}" : "released \(name)")
            }
        }
    }
}

/// `tessera watch KS`: follows the change feed over Server-Sent Events.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stream a keyspace's changes.")
    @OptionGroup var client: ClientOptions
    @Argument var keyspace: String
    @Option var prefix: String?
    @Option(help: "A cursor, or earliest.") var cursor: String?

    func run() async throws {
        var query: [(String, String)] = []
        if let prefix { query.append(("prefix", prefix)) }
        if let cursor { query.append(("cursor", cursor)) }
        let asJSON = client.json
        let buffer = EventBuffer()
        try await client.with { http in
            let status = try await http.stream("/v1/changes/\(Names.percentEncode(keyspace))", query: query) { chunk in
                // Events end with a blank line; a chunk may end in the middle of one.
                for event in buffer.append(chunk) {
                    for line in event.split(separator: "\n") where line.hasPrefix("data: ") {
                        let data = line.dropFirst(6)
                        if asJSON {
                            print(data)
                        } else if let event = try? JSONParser.parse(String(data)) {
                            let value =
                                event["value"]?.serialized ?? event["valueBase64"].map {
                                    "base64:" + ($0.stringValue ?? "")
                                }
                                ?? ""
                            print("\(event["type"]?.stringValue ?? "?")\t\(event["key"]?.stringValue ?? "")\t\(value)")
                        }
                    }
                }
                fflush(nil)
                return true
            }
            if status != 200 { throw Refusal(message: "error \(status) opening the change stream") }
        }
    }
}

/// Reassembles Server-Sent Events from the chunks of a stream (which calls back one chunk at a time).
final class EventBuffer: @unchecked Sendable {
    private var pending = ""

    /// Adds a chunk and returns the events it completed.
    func append(_ chunk: [UInt8]) -> [String] {
        pending += String(decoding: chunk, as: UTF8.self)
        var events: [String] = []
        while let range = pending.range(of: "\n\n") {
            events.append(String(pending[..<range.lowerBound]))
            pending.removeSubrange(..<range.upperBound)
        }
        return events
    }
}
