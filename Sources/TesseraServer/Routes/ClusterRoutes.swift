import Hummingbird
import TesseraCore
import TesseraStorage

/// `/v1/cluster`, `/v1/health`, `/v1/ready` and `/metrics` of a single node.
struct ClusterRoutes {
    let services: NodeServices

    func register(on router: Router<BasicRequestContext>) {
        router.get("/v1/cluster") { _, _ in cluster() }
        router.get("/v1/cluster/locate/{ks}/{key}") { request, context in try locate(request, context) }
        router.get("/v1/health") { _, _ in
            Responses.json { out in
                out.beginObject()
                out.field("status", "ok")
                out.endObject()
            }
        }
        router.get("/v1/ready") { _, _ in
            Responses.json { out in
                out.beginObject()
                out.field("status", "ready")
                out.field("node", services.config.nodeID)
                out.endObject()
            }
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: .init(bytes: services.metrics.render(engine: services.engine))))
        }
    }

    func cluster() -> Response {
        let config = services.config
        let count = services.engine.partitioner.count
        return Responses.json { out in
            out.beginObject()
            out.key("nodes")
            out.beginArray()
            out.beginObject()
            out.field("id", config.nodeID)
            out.field("address", config.address)
            out.field("region", config.region)
            out.field("state", "up")
            out.endObject()
            out.endArray()
            out.field("partitions", count)
            out.key("placement")
            out.beginArray()
            for partition in 0..<count {
                out.beginObject()
                out.field("partition", partition)
                out.key("replicas")
                out.beginArray()
                out.string(config.nodeID)
                out.endArray()
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
        let partitioner = services.engine.partitioner
        return Responses.json { out in
            out.beginObject()
            out.field("partition", partitioner.partition(of: key))
            out.field("partitionKey", String(HashTag.partitionKey(of: key)))
            out.key("replicas")
            out.beginArray()
            out.string(services.config.nodeID)
            out.endArray()
            out.endObject()
        }
    }
}
