import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TesseraCluster
import TesseraCore
import TesseraStorage

/// `/v1/kv`: items, conditional writes, TTLs and scans.
struct ItemRoutes {
    let services: NodeServices
    var engine: StorageEngine { services.engine }
    var cluster: ClusterNode { services.cluster }

    static let fanoutHeader = HTTPField.Name("Tessera-Fanout")!

    func register(on router: Router<BasicRequestContext>) {
        router.put("/v1/kv/{ks}/{key}") { request, context in try await put(request, context) }
        router.get("/v1/kv/{ks}/{key}") { request, context in try await get(request, context) }
        router.delete("/v1/kv/{ks}/{key}") { request, context in try await delete(request, context) }
        router.get("/v1/kv/{ks}") { request, context in try await scan(request, context) }
    }

    func put(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let ks = try request.name("ks", context, kind: "keyspace")
        let key = try request.key(context)
        let consistency = try Headers.checkConsistency(request)
        let contentType = request.headers[.contentType] ?? ContentTypes.octetStream
        let ttlMs = try Headers.ttlMs(request.query("ttl"))
        let condition = try Headers.writeCondition(request, forPut: true)
        let fence = try Headers.fence(request)
        let value = try await request.bodyBytes(limit: services.config.valueBytesMax)
        if ContentTypes.isJSON(contentType) { _ = try JSONParser.parse(value) }
        let result: PutResult
        if condition == .none && fence == nil {
            result = try await cluster.put(
                keyspace: ks, key: key, value: value, contentType: contentType, ttlMs: ttlMs, consistency: consistency)
        } else {
            guard
                let conditional = try await cluster.conditionalPut(
                    keyspace: ks, key: key, value: value, contentType: contentType, ttlMs: ttlMs, condition: condition,
                    fence: fence, consistency: consistency)
            else { throw TesseraError(.internal, "a put answered without a version") }
            result = conditional
        }
        let version = result.version.description
        return Responses.json(status: result.created ? .created : .ok, headers: [.eTag: "\"\(version)\""]) { out in
            out.beginObject()
            out.field("key", key)
            out.field("version", version)
            out.endObject()
        }
    }

    func get(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let ks = try request.name("ks", context, kind: "keyspace")
        let key = try request.key(context)
        let consistency = try Headers.checkConsistency(request)
        guard let item = try await cluster.get(keyspace: ks, key: key, consistency: consistency) else {
            throw TesseraError(.notFound, "key \(key) does not exist")
        }
        let etag = "\"\(item.version)\""
        if let match = request.headers[.ifNoneMatch], Headers.etagList(match).contains(item.version.description) {
            return Response(status: .notModified, headers: [.eTag: etag])
        }
        var headers: HTTPFields = [.contentType: item.contentType, .eTag: etag]
        if item.expiresAtMs != 0 { headers[Headers.expiresAt] = String(item.expiresAtMs) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: item.value)))
    }

    func delete(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let ks = try request.name("ks", context, kind: "keyspace")
        let key = try request.key(context)
        let consistency = try Headers.checkConsistency(request)
        let condition = try Headers.writeCondition(request, forPut: false)
        let fence = try Headers.fence(request)
        if condition == .none && fence == nil {
            try await cluster.delete(keyspace: ks, key: key, consistency: consistency)
        } else {
            _ = try await cluster.conditionalPut(
                keyspace: ks, key: key, value: nil, contentType: "", ttlMs: nil, condition: condition, fence: fence,
                consistency: consistency)
        }
        return Responses.noContent
    }

    func scan(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let ks = try request.name("ks", context, kind: "keyspace")
        let consistency = try Headers.checkConsistency(request)
        let limit = try request.queryInt("limit", in: 1...10_000) ?? 100
        let keysOnly = try request.queryBool("keysOnly") ?? false
        let prefix = request.query("prefix") ?? ""
        let after = try request.query("cursor").map { cursor throws(TesseraError) -> String in
            guard let key = ScanCursor.decode(cursor) else { throw .badRequest("invalid scan cursor") }
            return key
        }
        let page = try await cluster.scan(
            keyspace: ks, prefix: prefix, start: request.query("start"), end: request.query("end"), after: after,
            limit: limit, consistency: consistency)
        return Responses.json(headers: [Self.fanoutHeader: String(page.fanout)]) { out in
            out.beginObject()
            out.key("items")
            out.beginArray()
            for (key, item) in page.items { out.item(key: key, item, keysOnly: keysOnly) }
            out.endArray()
            out.key("next")
            if let next = page.nextAfter { out.string(ScanCursor.encode(next)) } else { out.null() }
            out.endObject()
        }
    }
}

/// Scan cursors: the last key returned, base64url without padding.
enum ScanCursor {
    static func encode(_ key: String) -> String {
        Data(key.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String) -> String? {
        var text = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text), !data.isEmpty else { return nil }
        return String(validating: [UInt8](data), as: UTF8.self)
    }
}
