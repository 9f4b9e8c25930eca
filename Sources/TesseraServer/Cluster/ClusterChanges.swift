import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import TesseraCluster
import TesseraCore
import TesseraStorage

/// The change stream of a keyspace in a cluster: one stream merged from every partition, each partition read
/// from its first live replica's feed. The cursor is a vector of per-node feed positions (`c.` and base64url
/// JSON), so it covers every partition. Delivery is at least once: when a partition's first replica changes
/// (a failure, a join or a leave), the new one resumes from its own position in the cursor and may repeat
/// events, and items moved by rebalancing appear again as puts from their new owner.
struct ClusterChanges {
    let services: NodeServices
    static let partitionsParameter = "_partitions"
    static let pollMs = 100

    struct Event {
        var node: String
        var lsn: UInt64
        var ts: Int64
        var json: JSONValue
    }

    var cluster: ClusterNode { services.cluster }

    func changes(_ request: Request, _ ks: String) async throws -> Response {
        let prefix = request.query("prefix") ?? ""
        let limit = try request.queryInt("limit", in: 1...10_000) ?? 1000
        let streaming = request.headers[.accept]?.contains("text/event-stream") ?? false
        let cursorText =
            streaming
            ? (request.headers[ChangeRoutes.lastEventID] ?? request.query("cursor")) : request.query("cursor")
        var positions = try await start(ks, cursorText)
        if streaming { return stream(ks, positions: positions, prefix: prefix) }
        var waitMs = 0
        if let text = request.query("wait") {
            guard let seconds = Double(text), seconds.isFinite, seconds >= 0, seconds <= ChangeRoutes.waitSecondsMax
            else { throw TesseraError.badRequest("wait must be a number of seconds from 0 to 60") }
            waitMs = Int(seconds * 1000)
        }
        services.metrics.subscribers(kind: "longpoll", delta: 1)
        defer { services.metrics.subscribers(kind: "longpoll", delta: -1) }
        let deadline = ContinuousClock.now + .milliseconds(waitMs)
        while true {
            let (events, advanced) = try await readRound(ks, positions, prefix: prefix, limit: limit)
            if !events.isEmpty || ContinuousClock.now >= deadline || Task.isCancelled
                || Task.isShuttingDownGracefully
            {
                var out = JSONOut()
                out.beginObject()
                out.key("events")
                out.beginArray()
                for event in events {
                    positions[event.node] = event.lsn
                    out.raw(Array(withCursor(event.json, Self.encode(positions)).serialized.utf8))
                }
                out.endArray()
                if events.isEmpty { positions = advanced }
                out.field("cursor", Self.encode(positions))
                out.endObject()
                return Responses.json(out.bytes)
            }
            positions = advanced
            try? await Task.sleep(for: .milliseconds(Self.pollMs))
        }
    }

    private func withCursor(_ json: JSONValue, _ cursor: String) -> JSONValue {
        guard case .object(var members) = json else { return json }
        members["cursor"] = .string(cursor)
        return .object(members)
    }

    /// The positions a request starts from: its cursor, the start of every node's retained history
    /// (`earliest`), or every node's head (no cursor).
    private func start(_ ks: String, _ text: String?) async throws -> [String: UInt64] {
        if text == "earliest" { return [:] }  // a node without a position is read from its earliest event
        if let text, !text.isEmpty {
            guard let positions = Self.decode(text) else { throw TesseraError.badRequest("invalid change cursor") }
            return positions
        }
        var positions: [String: UInt64] = [:]
        for node in cluster.feedSources(keyspace: ks).keys {
            positions[node] = try await read(ks, on: node, cursor: nil, partitions: []).1
        }
        return positions
    }

    /// Reads each source node's events for its partitions (no waiting), merged by time then node.
    private func readRound(_ ks: String, _ positions: [String: UInt64], prefix: String, limit: Int)
        async throws -> ([Event], [String: UInt64])
    {
        let sources = cluster.feedSources(keyspace: ks)
        var all: [Event] = []
        var advanced = positions
        try await withThrowingTaskGroup(of: (String, [Event], UInt64).self) { group in
            for (node, partitions) in sources {
                let cursor = positions[node].map(String.init) ?? "earliest"
                group.addTask {
                    let (events, next) = try await read(
                        ks, on: node, cursor: cursor, partitions: partitions, prefix: prefix, limit: limit)
                    return (node, events, next)
                }
            }
            for try await (node, events, next) in group {
                all += events
                advanced[node] = next
            }
        }
        all.sort { $0.ts != $1.ts ? $0.ts < $1.ts : ($0.node, $0.lsn) < ($1.node, $1.lsn) }
        if all.count > limit { all.removeSubrange(limit...) }
        return (all, advanced)
    }

    private func read(
        _ ks: String, on node: String, cursor: String?, partitions: [Int], prefix: String = "", limit: Int = 1
    ) async throws -> ([Event], UInt64) {
        var query = "limit=\(limit)&wait=0"
        if let cursor { query += "&cursor=\(cursor)" }
        if !prefix.isEmpty { query += "&prefix=\(Names.percentEncode(prefix))" }
        query +=
            "&\(Self.partitionsParameter)="
            + (partitions.isEmpty ? "-1" : partitions.map(String.init).joined(separator: ","))
        let answer = try await cluster.forward(
            to: node, operation: "http", keyspace: ks, name: "/v1/changes/\(Names.percentEncode(ks))?\(query)",
            body: [], headers: [":method": "GET", Forwarding.header.canonicalName: cluster.nodeID])
        guard answer.status == 200, case .object(let root)? = try? JSONValue.document(answer.body),
            let next = root["cursor"]?.stringValue.flatMap({ UInt64($0) })
        else {
            if answer.status < 500, case .object(let root)? = try? JSONValue.document(answer.body),
                let code = root["error"]?["code"]?.stringValue.flatMap(ErrorCode.init(rawValue:))
            {
                throw TesseraError(code, "node \(node): " + (root["error"]?["message"]?.stringValue ?? ""))
            }
            throw TesseraError(.unavailable, "node \(node) did not serve its change feed (status \(answer.status))")
        }
        var events: [Event] = []
        for event in root["events"]?.arrayValue ?? [] {
            guard let lsn = event["cursor"]?.stringValue.flatMap({ UInt64($0) }) else { continue }
            events.append(Event(node: node, lsn: lsn, ts: event["ts"]?.int64Value ?? 0, json: event))
        }
        return (events, next)
    }

    private func stream(_ ks: String, positions start: [String: UInt64], prefix: String) -> Response {
        let keepAliveMs = services.config.sseKeepAliveMs
        let metrics = services.metrics
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        let changes = self
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { (writer: inout any ResponseBodyWriter) in
                metrics.subscribers(kind: "sse", delta: 1)
                defer { metrics.subscribers(kind: "sse", delta: -1) }
                var positions = start
                var lastWrite = ContinuousClock.now
                try await writer.write(ByteBuffer(string: ": connected\n\n"))
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    let events: [Event]
                    let advanced: [String: UInt64]
                    do {
                        (events, advanced) = try await changes.readRound(ks, positions, prefix: prefix, limit: 1000)
                    } catch {
                        let tessera = error as? TesseraError ?? TesseraError(.unavailable, "\(error)")
                        var out = JSONOut()
                        out.beginObject()
                        out.field("code", tessera.code.rawValue)
                        out.field("message", tessera.message)
                        out.endObject()
                        try await writer.write(
                            ByteBuffer(
                                string: "event: error\ndata: " + String(decoding: out.bytes, as: UTF8.self) + "\n\n"))
                        break
                    }
                    if events.isEmpty {
                        positions = advanced
                        if ContinuousClock.now - lastWrite >= .milliseconds(keepAliveMs) {
                            try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                            lastWrite = ContinuousClock.now
                        }
                        try? await Task.sleep(for: .milliseconds(Self.pollMs))
                        continue
                    }
                    var buffer = ByteBuffer()
                    for event in events {
                        positions[event.node] = event.lsn
                        let cursor = Self.encode(positions)
                        let kind = event.json["type"]?.stringValue ?? "put"
                        buffer.writeString("id: \(cursor)\nevent: \(kind)\ndata: ")
                        buffer.writeString(changes.withCursor(event.json, cursor).serialized)
                        buffer.writeString("\n\n")
                    }
                    try await writer.write(buffer)
                    lastWrite = ContinuousClock.now
                }
                try await writer.finish(nil)
            })
    }

    /// `c.` + base64url (no padding) of the JSON object of node positions.
    static func encode(_ positions: [String: UInt64]) -> String {
        let json = JSONValue.object(positions.mapValues { .number(Double($0)) })
        return "c." + ScanCursor.encode(json.serialized)
    }

    static func decode(_ text: String) -> [String: UInt64]? {
        guard text.hasPrefix("c."), let raw = ScanCursor.decode(String(text.dropFirst(2))),
            case .object(let members)? = try? JSONParser.parse(Array(raw.utf8))
        else { return nil }
        var positions: [String: UInt64] = [:]
        for (node, value) in members {
            guard let number = value.numberValue, number >= 0 else { return nil }
            positions[node] = UInt64(number)
        }
        return positions
    }
}
