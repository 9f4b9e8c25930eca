import Hummingbird
import TesseraCore
import TesseraStorage

/// `/v1/keyspaces`: create, update, list, show and drop keyspaces.
struct KeyspaceRoutes {
    let services: NodeServices
    var engine: StorageEngine { services.engine }

    func register(on router: Router<BasicRequestContext>) {
        router.put("/v1/keyspaces/{ks}") { request, context in try await put(request, context) }
        router.get("/v1/keyspaces/{ks}") { request, context in try show(request, context) }
        router.delete("/v1/keyspaces/{ks}") { request, context in try await drop(request, context) }
        router.get("/v1/keyspaces") { _, _ in list() }
        router.post("/v1/keyspaces/{ks}/indexes") { request, context -> Response in
            let ks = try request.name("ks", context, kind: "keyspace")
            guard engine.keyspace(ks) != nil else {
                throw TesseraError(.keyspaceNotFound, "keyspace \(ks) does not exist")
            }
            throw TesseraError.badRequest("secondary indexes are not available yet in this version")
        }
    }

    func put(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let name = try request.name("ks", context, kind: "keyspace")
        let fields = JSONFields(object: try await request.jsonObject())
        try fields.only(["consistency", "replicas", "changeRetentionSeconds", "encryption", "indexes", "regions"])
        var config = engine.keyspace(name) ?? KeyspaceConfig(name: name)
        if let consistency = try fields.string("consistency") {
            guard let parsed = Consistency(rawValue: consistency) else {
                throw TesseraError.badRequest("consistency must be available or strong")
            }
            config.consistency = parsed
        }
        if let replicas = try fields.int("replicas", in: 1...9) { config.replicas = Int(replicas) }
        if let retention = try fields.int("changeRetentionSeconds", in: 1...(366 * 86400)) {
            config.changeRetentionSeconds = Int(retention)
        }
        if let encryption = fields.object["encryption"], encryption != .null {
            guard let mode = encryption["mode"]?.stringValue, ["none", "server", "customer"].contains(mode) else {
                throw TesseraError.badRequest("encryption.mode must be none, server or customer")
            }
            guard mode == "none" else {
                throw TesseraError.badRequest("encryption mode \(mode) is not available yet in this version")
            }
            config.encryptionMode = mode
        }
        if let indexes = fields.object["indexes"], indexes != .null {
            guard case .array(let list) = indexes else { throw TesseraError.badRequest("indexes must be an array") }
            guard list.isEmpty else {
                throw TesseraError.badRequest("secondary indexes are not available yet in this version")
            }
        }
        if let regions = try fields.bool("regions"), regions {
            throw TesseraError.badRequest("region-pinned keyspaces need a cluster, not available yet")
        }
        let created = try await engine.putKeyspace(config)
        return try describe(name, status: created ? .created : .ok)
    }

    func show(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        try describe(try request.name("ks", context, kind: "keyspace"), status: .ok)
    }

    func drop(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await engine.dropKeyspace(try request.name("ks", context, kind: "keyspace"))
        return Responses.noContent
    }

    func list() -> Response {
        Responses.json { out in
            out.beginObject()
            out.key("keyspaces")
            out.beginArray()
            for config in engine.keyspaces() {
                write(config, items: (try? engine.itemCount(keyspace: config.name)) ?? 0, to: &out)
            }
            out.endArray()
            out.endObject()
        }
    }

    private func describe(_ name: String, status: HTTPResponse.Status) throws -> Response {
        guard let config = engine.keyspace(name) else {
            throw TesseraError(.keyspaceNotFound, "keyspace \(name) does not exist")
        }
        let items = try engine.itemCount(keyspace: name)
        return Responses.json(status: status) { write(config, items: items, to: &$0) }
    }

    private func write(_ config: KeyspaceConfig, items: Int, to out: inout JSONOut) {
        out.beginObject()
        out.field("name", config.name)
        out.field("consistency", config.consistency.rawValue)
        out.field("replicas", config.replicas)
        out.field("effectiveReplicas", 1)
        out.field("changeRetentionSeconds", config.changeRetentionSeconds)
        out.key("encryption")
        out.beginObject()
        out.field("mode", config.encryptionMode)
        out.endObject()
        out.key("indexes")
        out.beginArray()
        out.endArray()
        out.field("items", items)
        out.field("partitions", engine.partitioner.count)
        out.field("createdAtMs", config.createdAtMs)
        out.endObject()
    }
}
