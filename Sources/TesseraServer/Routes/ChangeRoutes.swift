import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import TesseraCore
import TesseraStorage

/// `GET /v1/changes/{ks}`: the change feed by long polling or Server-Sent Events.
struct ChangeRoutes {
    let services: NodeServices
    static let waitSecondsMax = 60.0
    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    func register(on router: Router<BasicRequestContext>) {
        router.get("/v1/changes/{ks}") { request, context in try await changes(request, context) }
    }

    func changes(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let ks = try request.name("ks", context, kind: "keyspace")
        let feed = try services.engine.changeFeed(keyspace: ks)
        let forwarded = Forwarding.isForwarded(request)
        if !forwarded && !services.cluster.isLocalKeyspace(ks) {
            return try await ClusterChanges(services: services).changes(request, ks)
        }
        // A coordinator merging the cluster's feed asks each node for the partitions it is first replica of.
        var keyFilter: (@Sendable (String) -> Bool)?
        if forwarded, let list = request.query(ClusterChanges.partitionsParameter) {
            let wanted = Set(list.split(separator: ",").compactMap { Int($0) })
            let partitioner = services.engine.partitioner
            keyFilter = { wanted.contains(partitioner.partition(of: $0)) }
        }
        let prefix = request.query("prefix") ?? ""
        let limit = try request.queryInt("limit", in: 1...10_000) ?? 1000
        let streaming = request.headers[.accept]?.contains("text/event-stream") ?? false
        let cursorText =
            streaming ? (request.headers[Self.lastEventID] ?? request.query("cursor")) : request.query("cursor")
        let cursor = try parseCursor(cursorText, feed: feed)
        _ = try feed.read(after: cursor, prefix: prefix, limit: 1)
        if streaming { return stream(feed, from: cursor, prefix: prefix) }

        var waitMs = 0
        if let text = request.query("wait") {
            guard let seconds = Double(text), seconds.isFinite, seconds >= 0, seconds <= Self.waitSecondsMax else {
                throw TesseraError.badRequest("wait must be a number of seconds from 0 to 60")
            }
            waitMs = Int(seconds * 1000)
        }
        services.metrics.subscribers(kind: "longpoll", delta: 1)
        defer { services.metrics.subscribers(kind: "longpoll", delta: -1) }
        let deadline = ContinuousClock.now + .milliseconds(waitMs)
        var position = cursor
        while true {
            let (events, next) = try feed.read(after: position, prefix: prefix, limit: limit, keyFilter: keyFilter)
            position = next
            let remaining = deadline - ContinuousClock.now
            if !events.isEmpty || remaining <= .zero || Task.isCancelled || Task.isShuttingDownGracefully {
                return Responses.json { out in
                    out.beginObject()
                    out.key("events")
                    out.beginArray()
                    for event in events { Self.write(event, to: &out) }
                    out.endArray()
                    out.field("cursor", String(next))
                    out.endObject()
                }
            }
            let ms = Int(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000)
            // Wake at least every second to notice a shutdown.
            await feed.waitForEvents(after: position, timeoutMs: min(1000, max(1, ms)))
        }
    }

    private func parseCursor(_ text: String?, feed: ChangeFeed) throws(TesseraError) -> UInt64 {
        guard let text, !text.isEmpty else { return feed.headCursor }
        if text == "earliest" { return feed.horizonCursor }
        guard let cursor = UInt64(text) else { throw .badRequest("invalid change cursor \(text)") }
        guard cursor <= services.engine.lastLSN else { throw .badRequest("change cursor \(text) is from the future") }
        return cursor
    }

    private func stream(_ feed: ChangeFeed, from cursor: UInt64, prefix: String) -> Response {
        let keepAliveMs = services.config.sseKeepAliveMs
        let metrics = services.metrics
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { (writer: inout any ResponseBodyWriter) in
                metrics.subscribers(kind: "sse", delta: 1)
                defer { metrics.subscribers(kind: "sse", delta: -1) }
                var position = cursor
                var lastWrite = ContinuousClock.now
                try await writer.write(ByteBuffer(string: ": connected\n\n"))
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    let events: [ChangeEvent]
                    do {
                        (events, position) = try feed.read(after: position, prefix: prefix, limit: 1000)
                    } catch let error as TesseraError {
                        try await writer.write(Self.errorEvent(error))
                        break
                    }
                    if events.isEmpty {
                        let idle = ContinuousClock.now - lastWrite
                        if idle >= .milliseconds(keepAliveMs) {
                            try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                            lastWrite = ContinuousClock.now
                            continue
                        }
                        let left = Duration.milliseconds(keepAliveMs) - idle
                        let ms = Int(
                            left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
                        await feed.waitForEvents(after: position, timeoutMs: min(1000, max(1, ms)))
                        continue
                    }
                    var buffer = ByteBuffer()
                    for event in events {
                        var out = JSONOut()
                        Self.write(event, to: &out)
                        buffer.writeString("id: \(event.lsn)\nevent: \(event.kind.rawValue)\ndata: ")
                        buffer.writeBytes(out.bytes)
                        buffer.writeString("\n\n")
                    }
                    try await writer.write(buffer)
                    lastWrite = ContinuousClock.now
                }
                try await writer.finish(nil)
            })
    }

    /// The SSE event that ends a stream with an error.
    static func errorEvent(_ error: TesseraError) -> ByteBuffer {
        var out = JSONOut()
        out.beginObject()
        out.field("code", error.code.rawValue)
        out.field("message", error.message)
        out.endObject()
        return ByteBuffer(string: "event: error\ndata: " + String(decoding: out.bytes, as: UTF8.self) + "\n\n")
    }

    static func write(_ event: ChangeEvent, to out: inout JSONOut, cursor: String? = nil) {
        out.beginObject()
        out.field("type", event.kind.rawValue)
        out.field("key", event.key)
        out.field("version", event.version.description)
        if let value = event.value { out.itemValue(value, contentType: event.contentType ?? ContentTypes.octetStream) }
        out.field("ts", event.tsMs)
        out.field("cursor", cursor ?? String(event.lsn))
        out.endObject()
    }
}
