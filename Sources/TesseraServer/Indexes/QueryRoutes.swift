import Foundation
import Hummingbird
import TesseraCluster
import TesseraCore
import TesseraIndex
import TesseraStorage

/// `POST /v1/query/{ks}`: one secondary index and its query. Each node indexes the partitions it holds; in a
/// cluster the coordinator sends the query to one live replica of every partition (grouped by node, in
/// parallel, under the fan-out deadline) and merges the hits in the index's order.
struct QueryRoutes {
    let services: NodeServices
    let indexes: IndexManager

    /// Set by a coordinator on the query it forwards: the partitions the receiving node must answer for.
    static let partitionsField = "_partitions"

    struct Hit {
        var hit: IndexHit
        var item: StoredItem
        var sort: [IndexValue]?
    }

    func register(on router: Router<BasicRequestContext>) {
        router.post("/v1/query/{ks}") { request, context in try await query(request, context) }
    }

    func query(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let ks = try request.name("ks", context, kind: "keyspace")
        let engine = services.engine
        guard engine.keyspace(ks) != nil else { throw TesseraError(.keyspaceNotFound, "keyspace \(ks) does not exist") }
        let raw = try await request.bodyBytes(limit: 4 << 20)
        guard case .object(var body) = try JSONValue.document(raw) else {
            throw TesseraError.badRequest("the body must be a JSON object")
        }
        guard let name = body["index"]?.stringValue else { throw TesseraError.badRequest("index is required") }
        guard let set = indexes.indexes(of: ks), let index = set.entries.withLock({ $0[name]?.index }) else {
            throw TesseraError.badRequest("keyspace \(ks) has no index \(name)")
        }
        var partitions: [Int]
        if let tag = body["partition"] {
            guard case .string(let text) = tag, !text.isEmpty else {
                throw TesseraError.badRequest("partition must be the non-empty content of a hash tag")
            }
            partitions = [engine.partitioner.partition(ofHashed: text[...])]
        } else {
            partitions = Array(0..<engine.partitioner.count)
        }
        let forwarded = Forwarding.isForwarded(request)
        if forwarded, case .array(let list)? = body[Self.partitionsField] {
            partitions = list.compactMap(\.intValue)
        }
        body[Self.partitionsField] = nil
        let cluster = services.cluster
        let fanout = partitions.count
        let local = cluster.isLocal(keyspace: ks, partitions: partitions)
        if forwarded || local {
            let (hits, next) = try await localQuery(ks, name, .object(body), partitions: Set(partitions), index: index)
            return render(hits, next: next, fanout: fanout, withSort: forwarded)
        }
        // Coordinator: one live replica per partition, this node first.
        let byNode = try cluster.queryTargets(keyspace: ks, partitions: partitions)
        let query = JSONValue.object(body)
        let answers = try await cluster.withFanoutDeadline { () async throws(TesseraError) -> [([Hit], String?)] in
            try await self.gather(request, ks, name, query, byNode, index: index)
        }
        var merged = answers.flatMap(\.0)
        merged.sort { index.ranks($0.hit, $0.sort, before: $1.hit, $1.sort) }
        let limit = index.resultLimit(query)
        var next: String?
        if merged.count > limit || answers.contains(where: { $0.1 != nil }) {
            if merged.count > limit { merged.removeSubrange(limit...) }
            if let last = merged.last, let values = last.sort {
                next = SecondaryIndex.orderedCursor(values: values, key: last.hit.key)
            }
        }
        return render(merged, next: next, fanout: fanout, withSort: false)
    }

    private func gather(
        _ request: Request, _ ks: String, _ name: String, _ query: JSONValue, _ byNode: [String: [Int]],
        index: SecondaryIndex
    ) async throws(TesseraError) -> [([Hit], String?)] {
        let cluster = services.cluster
        let results = await withTaskGroup(of: Result<([Hit], String?), TesseraError>.self) { group in
            for (node, partitions) in byNode {
                group.addTask {
                    do throws(TesseraError) {
                        if node == cluster.nodeID {
                            return .success(
                                try await localQuery(ks, name, query, partitions: Set(partitions), index: index))
                        }
                        var body = query
                        if case .object(var members) = body {
                            members[Self.partitionsField] = .array(partitions.map { .number(Double($0)) })
                            body = .object(members)
                        }
                        return .success(try await remoteQuery(request, ks, body, on: node, index: index))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var all: [Result<([Hit], String?), TesseraError>] = []
            for await result in group { all.append(result) }
            return all
        }
        var out: [([Hit], String?)] = []
        for result in results {
            switch result {
            case .success(let answer): out.append(answer)
            case .failure(let error): throw error
            }
        }
        return out
    }

    private func remoteQuery(
        _ request: Request, _ ks: String, _ body: JSONValue, on node: String, index: SecondaryIndex
    ) async throws(TesseraError) -> ([Hit], String?) {
        let answer = try await services.cluster.forward(
            to: node, operation: "http", keyspace: ks, name: "/v1/query/\(Names.percentEncode(ks))",
            body: Array(body.serialized.utf8),
            headers: [
                ":method": "POST", "content-type": "application/json",
            ])
        guard answer.status == 200, case .object(let root)? = try? JSONValue.document(answer.body),
            case .array(let hits)? = root["hits"]
        else {
            if answer.status < 500, case .object(let root)? = try? JSONValue.document(answer.body),
                let code = root["error"]?["code"]?.stringValue.flatMap(ErrorCode.init(rawValue:))
            {
                throw TesseraError(code, root["error"]?["message"]?.stringValue ?? "node \(node) refused the query")
            }
            throw TesseraError(.unavailable, "node \(node) failed the query (status \(answer.status))")
        }
        var out: [Hit] = []
        for case .object(let hit) in hits {
            guard let key = hit["key"]?.stringValue, let version = hit["version"]?.stringValue.flatMap(Version.init)
            else { continue }
            var item: StoredItem
            if let value = hit["value"] {
                item = StoredItem(value: Array(value.serialized.utf8), contentType: ContentTypes.json, version: version)
            } else {
                let bytes =
                    hit["valueBase64"]?.stringValue.flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) } ?? []
                item = StoredItem(
                    value: bytes, contentType: hit["contentType"]?.stringValue ?? ContentTypes.octetStream,
                    version: version)
            }
            if let contentType = hit["contentType"]?.stringValue { item.contentType = contentType }
            var sort: [IndexValue]?
            if case .array(let values)? = hit["_sort"] { sort = values.compactMap(IndexValue.init) }
            out.append(
                Hit(
                    hit: IndexHit(key: key, score: hit["score"]?.numberValue, distanceM: hit["distanceM"]?.numberValue),
                    item: item, sort: sort))
        }
        return (out, root["next"]?.stringValue)
    }

    /// Runs the query on this node's index, confined to `partitions` (filtered inside the index, so the limit
    /// counts only their hits), and reads each hit's item.
    func localQuery(_ ks: String, _ name: String, _ query: JSONValue, partitions: Set<Int>, index: SecondaryIndex)
        async throws(TesseraError) -> ([Hit], String?)
    {
        let engine = services.engine
        let partitioner = engine.partitioner
        let all = partitions.count == partitioner.count
        let filter: ((String) -> Bool)? = all ? nil : { partitions.contains(partitioner.partition(of: $0)) }
        guard let set = indexes.indexes(of: ks) else { throw TesseraError(.keyspaceNotFound, "no keyspace \(ks)") }
        let result: IndexQueryResult
        do {
            result = try set.entries.withLock { entries throws(IndexError) -> IndexQueryResult in
                guard let entry = entries[name] else { throw IndexError(.invalidQuery, "no index \(name)") }
                return try entry.index.query(query, keyFilter: filter)
            }
        } catch {
            throw TesseraError.badRequest(error.message)
        }
        var hits: [Hit] = []
        for hit in result.hits {
            guard let item = try await engine.get(keyspace: ks, key: hit.key) else { continue }
            var sort: [IndexValue]?
            if index.definition.kind == .ordered, item.isJSON, let document = try? JSONParser.parse(item.value) {
                sort = index.sortValues(of: document)
            }
            hits.append(Hit(hit: hit, item: item, sort: sort))
        }
        return (hits, result.next)
    }

    private func render(_ hits: [Hit], next: String?, fanout: Int, withSort: Bool) -> Response {
        Responses.json { out in
            out.beginObject()
            out.key("hits")
            out.beginArray()
            for entry in hits {
                out.beginObject()
                out.field("key", entry.hit.key)
                out.field("version", entry.item.version.description)
                out.itemValue(entry.item.value, contentType: entry.item.contentType)
                if let score = entry.hit.score {
                    out.key("score")
                    out.raw(Array(JSONValue.format(score).utf8))
                }
                if let distance = entry.hit.distanceM {
                    out.key("distanceM")
                    out.raw(Array(JSONValue.format(distance).utf8))
                }
                if withSort, let sort = entry.sort {
                    out.key("_sort")
                    out.raw(Array(JSONValue.array(sort.map(\.json)).serialized.utf8))
                }
                out.endObject()
            }
            out.endArray()
            out.field("fanout", fanout)
            if let next { out.field("next", next) }
            out.endObject()
        }
    }
}
