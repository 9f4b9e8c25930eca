import Hummingbird
import TesseraCore
import TesseraIndex
import TesseraStorage

/// `POST /v1/query/{ks}`: one secondary index and its query.
struct QueryRoutes {
    let services: NodeServices
    let indexes: IndexManager

    func register(on router: Router<BasicRequestContext>) {
        router.post("/v1/query/{ks}") { request, context in try await query(request, context) }
    }

    func query(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let ks = try request.name("ks", context, kind: "keyspace")
        let engine = services.engine
        guard engine.keyspace(ks) != nil else { throw TesseraError(.keyspaceNotFound, "keyspace \(ks) does not exist") }
        guard case .object(let body) = try JSONValue.document(try await request.bodyBytes(limit: 4 << 20)) else {
            throw TesseraError.badRequest("the body must be a JSON object")
        }
        guard let name = body["index"]?.stringValue else { throw TesseraError.badRequest("index is required") }
        guard let set = indexes.indexes(of: ks), let kind = set.entries.withLock({ $0[name]?.index.definition.kind })
        else {
            throw TesseraError.badRequest("keyspace \(ks) has no index \(name)")
        }
        var partition: PartitionID?
        if let tag = body["partition"] {
            guard case .string(let text) = tag, !text.isEmpty else {
                throw TesseraError.badRequest("partition must be the non-empty content of a hash tag")
            }
            partition = engine.partitioner.partition(ofHashed: text[...])
        }
        // The index spans the keyspace; a partition-confined query filters inside the index, so the limit counts
        // only that partition's hits.
        let partitioner = engine.partitioner
        let filter: ((String) -> Bool)? = partition.map { wanted in { partitioner.partition(of: $0) == wanted } }
        let result: IndexQueryResult
        do {
            result = try set.entries.withLock { entries throws(IndexError) -> IndexQueryResult in
                try entries[name]!.index.query(.object(body), keyFilter: filter)
            }
        } catch {
            throw TesseraError.badRequest(error.message)
        }
        let hits = result.hits
        var items: [String: StoredItem] = [:]
        for hit in hits {
            if let item = try await engine.get(keyspace: ks, key: hit.key) { items[hit.key] = item }
        }
        return Responses.json { out in
            out.beginObject()
            out.key("hits")
            out.beginArray()
            for hit in hits {
                guard let item = items[hit.key] else { continue }
                out.beginObject()
                out.field("key", hit.key)
                out.field("version", item.version.description)
                out.itemValue(item.value, contentType: item.contentType)
                if let score = hit.score {
                    out.key("score")
                    out.raw(Array(JSONValue.format(score).utf8))
                }
                if let distance = hit.distanceM {
                    out.key("distanceM")
                    out.raw(Array(JSONValue.format(distance).utf8))
                }
                out.endObject()
            }
            out.endArray()
            out.field("fanout", partition == nil ? engine.partitioner.count : 1)
            if let next = result.next { out.field("next", next) }
            out.endObject()
        }
    }
}
