import Foundation
import Hummingbird
import TesseraCluster
import TesseraCore
import TesseraStorage

/// `POST /v1/txn/{ks}`: compare-then-apply on one partition.
struct TransactionRoutes {
    let services: NodeServices
    static let operationsMax = 128

    func register(on router: Router<BasicRequestContext>) {
        router.post("/v1/txn/{ks}") { request, context in try await run(request, context) }
    }

    func run(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let ks = try request.name("ks", context, kind: "keyspace")
        let consistency = services.cluster.effectiveConsistency(ks, try Headers.checkConsistency(request))
        let raw = try await request.bodyBytes(limit: 4 * services.config.valueBytesMax)
        let body: [String: JSONValue]
        if raw.isEmpty {
            body = [:]
        } else {
            guard case .object(let object) = try JSONValue.document(raw) else {
                throw TesseraError.badRequest("the body must be a JSON object")
            }
            body = object
        }
        try JSONFields(object: body).only(["compare", "success", "failure"])
        let txn = Transaction(
            compares: try list(body["compare"], "compare").map(parseCompare),
            success: try list(body["success"], "success").map(parseOperation),
            failure: try list(body["failure"], "failure").map(parseOperation))
        // In a cluster the partition's first live replica runs the transaction: others forward it there.
        let cluster = services.cluster
        let keys = txn.keys
        let clustered = keys.first.map { !cluster.isLocal(keyspace: ks, key: $0) } ?? false
        if clustered, !Forwarding.isForwarded(request), let first = keys.first {
            guard let primary = cluster.primary(keyspace: ks, key: first) else {
                throw TesseraError(.unavailable, "no replica of the transaction's partition is reachable")
            }
            if primary != cluster.nodeID {
                return try await Forwarding.forward(request, body: raw, to: primary, cluster: cluster)
            }
        }
        if clustered, let first = keys.first {
            // Refused before anything commits when the partition lacks the replicas the consistency needs.
            try cluster.requireReachable(keyspace: ks, key: first, consistency: consistency)
            try await cluster.refresh(keyspace: ks, keys: keys, consistency: consistency)
        }
        let result = try await services.engine.transact(keyspace: ks, txn)
        if clustered {
            var written: [String] = []
            for operation in result.succeeded ? txn.success : txn.failure {
                switch operation {
                case .put(let key, _, _, _), .incr(let key, _), .delete(let key): written.append(key)
                case .get: break
                }
            }
            try await cluster.replicateLocal(keyspace: ks, keys: written, consistency: consistency)
        }
        return Responses.json { out in
            out.beginObject()
            out.field("succeeded", result.succeeded)
            out.key("results")
            out.beginArray()
            for entry in result.results {
                out.beginObject()
                out.field("key", entry.key)
                if let item = entry.item {
                    out.field("version", item.version.description)
                    out.itemValue(item.value, contentType: item.contentType)
                } else if let deleted = entry.deletedVersion {
                    out.field("version", deleted.description)
                    out.field("deleted", true)
                } else {
                    out.key("value")
                    out.null()
                }
                out.endObject()
            }
            out.endArray()
            out.endObject()
        }
    }

    private func list(_ value: JSONValue?, _ name: String) throws(TesseraError) -> [[String: JSONValue]] {
        guard let value, value != .null else { return [] }
        guard case .array(let elements) = value else { throw .badRequest("\(name) must be an array") }
        guard elements.count <= Self.operationsMax else {
            throw .badRequest("\(name) has more than \(Self.operationsMax) entries")
        }
        return try elements.map { element throws(TesseraError) in
            guard case .object(let object) = element else { throw .badRequest("each \(name) entry must be an object") }
            return object
        }
    }

    private func key(_ object: [String: JSONValue]) throws(TesseraError) -> String {
        guard let key = object["key"]?.stringValue else { throw .badRequest("every compare and op needs a string key") }
        try Names.validateKey(key)
        return key
    }

    private func parseCompare(_ object: [String: JSONValue]) throws(TesseraError) -> Transaction.Compare {
        let key = try key(object)
        if let exists = object["exists"] {
            guard case .bool(let expected) = exists else { throw .badRequest("exists must be true or false") }
            return .exists(key: key, expected)
        }
        if let version = object["version"] {
            guard case .string(let expected) = version else { throw .badRequest("version must be a string") }
            return .version(key: key, expected)
        }
        if let value = object["value"] {
            guard case .object(let ops) = value, ops.count == 1, let (name, operand) = ops.first,
                let comparison = Transaction.Comparison(rawValue: name)
            else { throw .badRequest("value must be one of {\"eq|ne|gt|gte|lt|lte\": operand}") }
            return .value(key: key, comparison, operand)
        }
        throw .badRequest("a compare needs exists, version or value")
    }

    private func parseOperation(_ object: [String: JSONValue]) throws(TesseraError) -> Transaction.Operation {
        let key = try key(object)
        let fields = JSONFields(object: object)
        switch try fields.string("op") {
        case "get":
            return .get(key: key)
        case "delete":
            return .delete(key: key)
        case "incr":
            let by = try fields.number("by") ?? 1
            return .incr(key: key, by: by)
        case "put":
            let ttlMs = try Headers.ttlMs(try fields.number("ttl").map { String($0) })
            if let base64 = try fields.string("valueBase64") {
                guard let data = Data(base64Encoded: base64) else { throw .badRequest("valueBase64 is not base64") }
                guard data.count <= services.config.valueBytesMax else {
                    throw TesseraError(.payloadTooLarge, "value of \(key) is too large")
                }
                return .put(key: key, value: [UInt8](data), contentType: ContentTypes.octetStream, ttlMs: ttlMs)
            }
            guard let value = object["value"] else { throw .badRequest("put needs a value") }
            let bytes = Array(value.serialized.utf8)
            guard bytes.count <= services.config.valueBytesMax else {
                throw TesseraError(.payloadTooLarge, "value of \(key) is too large")
            }
            return .put(key: key, value: bytes, contentType: ContentTypes.json, ttlMs: ttlMs)
        case let other:
            throw .badRequest("op must be put, incr, delete or get, not \(other ?? "missing")")
        }
    }
}
