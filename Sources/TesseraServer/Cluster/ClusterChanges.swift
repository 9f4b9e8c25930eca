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

    /// Where the stream stands on one source node: its feed position, and the partitions it was read for.
    struct Position: Equatable {
        var lsn: UInt64
        var partitions: Set<Int>
    }

    typealias Positions = [String: Position]

    /// One read of every source: the events (merged, at most the limit), where each source was read from
    /// (`base`, lsn 0 meaning its earliest event), and where each read ended (`advanced`).
    struct Round {
        var events: [Event]
        var base: Positions
        var advanced: Positions
        var truncated: Bool

        /// Each event with the cursor that resumes after it, and the cursor after the whole round.
        func cursors() -> ([(Event, String)], Positions) {
            var positions = base
            var out: [(Event, String)] = []
            for event in events {
                positions[event.node]?.lsn = event.lsn
                out.append((event, ClusterChanges.encode(positions)))
            }
            return (out, truncated ? positions : advanced)
        }
    }

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
            let round = try await readRound(ks, positions, prefix: prefix, limit: limit)
            if !round.events.isEmpty || ContinuousClock.now >= deadline || Task.isCancelled
                || Task.isShuttingDownGracefully
            {
                let (events, after) = round.cursors()
                var out = JSONOut()
                out.beginObject()
                out.key("events")
                out.beginArray()
                for (event, cursor) in events { out.raw(Array(withCursor(event.json, cursor).serialized.utf8)) }
                out.endArray()
                out.field("cursor", Self.encode(after))
                out.endObject()
                return Responses.json(out.bytes)
            }
            positions = round.advanced
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
    private func start(_ ks: String, _ text: String?) async throws -> Positions {
        if text == "earliest" { return [:] }  // a node without a position is read from its earliest event
        if let text, !text.isEmpty {
            guard let positions = Self.decode(text) else { throw TesseraError.badRequest("invalid change cursor") }
            return positions
        }
        var positions: Positions = [:]
        for (node, partitions) in cluster.feedSources(keyspace: ks) {
            let head = try await read(ks, on: node, cursor: nil, partitions: []).1
            positions[node] = Position(lsn: head, partitions: Set(partitions))
        }
        return positions
    }

    /// Reads each source node's events for its partitions (no waiting), merged by time then node. A node's
    /// position is reused only for the partitions it was read for; when it has become the source of another
    /// partition (a failover, a join or a leave) it is read from its earliest retained event, so that nothing
    /// of that partition is skipped (at the price of repeats).
    private func readRound(_ ks: String, _ positions: Positions, prefix: String, limit: Int)
        async throws -> Round
    {
        let sources = cluster.feedSources(keyspace: ks)
        var all: [Event] = []
        var advanced: Positions = [:]
        var base: Positions = [:]
        for (node, partitions) in sources {
            var lsn: UInt64 = 0
            if let position = positions[node], Set(partitions).isSubset(of: position.partitions) {
                lsn = position.lsn
            }
            base[node] = Position(lsn: lsn, partitions: Set(partitions))
        }
        try await withThrowingTaskGroup(of: (String, [Event], UInt64).self) { group in
            for (node, partitions) in sources {
                let start = base[node]?.lsn ?? 0
                let cursor = start == 0 ? "earliest" : String(start)
                group.addTask {
                    let (events, next) = try await read(
                        ks, on: node, cursor: cursor, partitions: partitions, prefix: prefix, limit: limit)
                    return (node, events, next)
                }
            }
            for try await (node, events, next) in group {
                all += events
                advanced[node] = Position(lsn: next, partitions: Set(sources[node] ?? []))
            }
        }
        all.sort { $0.ts != $1.ts ? $0.ts < $1.ts : ($0.node, $0.lsn) < ($1.node, $1.lsn) }
        let truncated = all.count > limit
        if truncated { all.removeSubrange(limit...) }
        return Round(events: all, base: base, advanced: advanced, truncated: truncated)
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
            body: [], headers: [":method": "GET"])
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

    private func stream(_ ks: String, positions start: Positions, prefix: String) -> Response {
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
                    let round: Round
                    do {
                        round = try await changes.readRound(ks, positions, prefix: prefix, limit: 1000)
                    } catch {
                        let tessera = error as? TesseraError ?? TesseraError(.unavailable, "\(error)")
                        try await writer.write(ChangeRoutes.errorEvent(tessera))
                        break
                    }
                    if round.events.isEmpty {
                        positions = round.advanced
                        if ContinuousClock.now - lastWrite >= .milliseconds(keepAliveMs) {
                            try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                            lastWrite = ContinuousClock.now
                        }
                        try? await Task.sleep(for: .milliseconds(Self.pollMs))
                        continue
                    }
                    var buffer = ByteBuffer()
                    let (events, after) = round.cursors()
                    positions = after
                    for (event, cursor) in events {
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

    /// `c.` + base64url (no padding) of `{"node": [lsn, "partition bitmap in hex"], ...}`.
    static func encode(_ positions: Positions) -> String {
        let json = JSONValue.object(
            positions.mapValues { position in
                .array([.number(Double(position.lsn)), .string(bitmap(position.partitions))])
            })
        return "c." + ScanCursor.encode(json.serialized)
    }

    static func decode(_ text: String) -> Positions? {
        guard text.hasPrefix("c."), let raw = ScanCursor.decode(String(text.dropFirst(2))),
            case .object(let members)? = try? JSONParser.parse(Array(raw.utf8))
        else { return nil }
        var positions: Positions = [:]
        for (node, value) in members {
            guard case .array(let pair) = value, pair.count == 2, let number = pair[0].numberValue,
                let lsn = UInt64(exactly: number), let hex = pair[1].stringValue, let partitions = partitions(hex)
            else { return nil }
            positions[node] = Position(lsn: lsn, partitions: partitions)
        }
        return positions
    }

    /// Partitions as a hex bitmap, lowest partition in the last digit.
    static func bitmap(_ partitions: Set<Int>) -> String {
        guard let highest = partitions.max() else { return "0" }
        var digits: [Character] = []
        for nibble in stride(from: highest / 4, through: 0, by: -1) {
            var value = 0
            for bit in 0..<4 where partitions.contains(nibble * 4 + bit) { value |= 1 << bit }
            digits.append(Character(String(value, radix: 16)))
        }
        return String(digits)
    }

    static func partitions(_ hex: String) -> Set<Int>? {
        guard hex.utf8.count <= 16_384 else { return nil }
        var out: Set<Int> = []
        for (index, character) in hex.reversed().enumerated() {
            guard let value = character.hexDigitValue else { return nil }
            for bit in 0..<4 where value & (1 << bit) != 0 { out.insert(index * 4 + bit) }
        }
        return out
    }
}
