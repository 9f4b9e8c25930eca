import Hummingbird
import TesseraCluster
import TesseraCore
import TesseraStorage

/// `/v1/cluster` (members, placement, locate, decommission), `/v1/health`, `/v1/ready` and `/metrics`.
struct ClusterRoutes {
    let services: NodeServices
    var cluster: ClusterNode { services.cluster }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/v1/cluster") { _, _ in overview() }
        router.get("/v1/cluster/locate/{ks}/{key}") { request, context in try locate(request, context) }
        router.delete("/v1/cluster/nodes/{id}") { request, context in try await decommission(request, context) }
        router.get("/v1/health") { _, _ in
            Responses.json { out in
                out.beginObject()
                out.field("status", "ok")
                out.endObject()
            }
        }
        router.get("/v1/ready") { _, _ in
            guard cluster.isReady else {
                throw TesseraError(.unavailable, "node \(services.config.nodeID) is not up yet (joining or leaving)")
            }
            return Responses.json { out in
                out.beginObject()
                out.field("status", "ready")
                out.field("node", services.config.nodeID)
                out.endObject()
            }
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(
                    byteBuffer: .init(bytes: services.metrics.render(engine: services.engine, cluster: cluster))))
        }
    }

    /// Members with their observed states, load and rebalancing progress, and the placement of the `default`
    /// keyspace (replicas per partition, first replica first).
    func overview() -> Response {
        let count = services.engine.partitioner.count
        let members = cluster.members()
        return Responses.json { out in
            out.beginObject()
            out.field("self", cluster.nodeID)
            out.key("nodes")
            out.beginArray()
            for member in members {
                out.beginObject()
                out.field("id", member.id)
                out.field("address", member.address)
                out.field("peerAddress", member.peerAddress)
                out.field("region", member.region)
                out.field("state", member.state)
                out.field("keys", member.keys)
                out.field("storageBytes", member.storageBytes)
                out.key("rebalance")
                out.beginObject()
                out.field("transfersTotal", member.streamsTotal)
                out.field("transfersDone", member.streamsDone)
                out.field("itemsMoved", member.streamedItems)
                out.endObject()
                out.endObject()
            }
            out.endArray()
            out.field("partitions", count)
            out.field("hintsPending", cluster.pendingHints)
            out.key("placement")
            out.beginArray()
            for partition in 0..<count {
                let placement = cluster.placement(keyspace: StorageEngine.defaultKeyspace, partition: partition)
                out.beginObject()
                out.field("partition", partition)
                out.key("replicas")
                out.beginArray()
                for node in placement.read { out.string(node) }
                out.endArray()
                if !placement.pending.isEmpty {
                    out.key("pending")
                    out.beginArray()
                    for node in placement.pending { out.string(node) }
                    out.endArray()
                }
                out.endObject()
            }
            out.endArray()
            out.endObject()
        }
    }

    func locate(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        let ks = try request.name("ks", context, kind: "keyspace")
        let key = try request.key(context)
        guard services.engine.keyspace(ks) != nil else {
            throw TesseraError(.keyspaceNotFound, "keyspace \(ks) does not exist")
        }
        let partition = services.engine.partitioner.partition(of: key)
        let placement = try cluster.placement(keyspace: ks, key: key)
        return Responses.json { out in
            out.beginObject()
            out.field("partition", partition)
            out.field("partitionKey", String(HashTag.partitionKey(of: key)))
            if let region = placement.region { out.field("region", region) }
            out.key("replicas")
            out.beginArray()
            for node in placement.read { out.string(node) }
            out.endArray()
            out.endObject()
        }
    }

    func decommission(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let id = try request.name("id", context, kind: "node")
        try await cluster.decommission(id)
        return Responses.json(status: .accepted) { out in
            out.beginObject()
            out.field("node", id)
            out.field("state", "leaving")
            out.endObject()
        }
    }
}
