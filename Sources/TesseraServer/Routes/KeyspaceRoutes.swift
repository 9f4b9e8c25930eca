import Hummingbird
import TesseraCore
import TesseraIndex
import TesseraStorage

/// `/v1/keyspaces`: create, update, list, show and drop keyspaces, and add or drop their indexes.
struct KeyspaceRoutes {
    let services: NodeServices
    var engine: StorageEngine { services.engine }
    var indexes: IndexManager { services.indexes }

    func register(on router: Router<BasicRequestContext>) {
        router.put("/v1/keyspaces/{ks}") { request, context in try await put(request, context) }
        router.get("/v1/keyspaces/{ks}") { request, context in try show(request, context) }
        router.delete("/v1/keyspaces/{ks}") { request, context in try await drop(request, context) }
        router.get("/v1/keyspaces") { _, _ in list() }
        router.post("/v1/keyspaces/{ks}/indexes") { request, context in try await addIndex(request, context) }
        router.delete("/v1/keyspaces/{ks}/indexes/{name}") { request, context in try await dropIndex(request, context) }
    }

    func put(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let name = try request.name("ks", context, kind: "keyspace")
        let fields = JSONFields(object: try await request.jsonObject())
        let created = try await apply(name, fields)
        await announce(name)
        return try describe(name, status: created ? .created : .ok)
    }

    /// Tells the cluster about the keyspace's definition as this node now holds it (or its drop).
    func announce(_ name: String) async {
        guard let config = engine.keyspace(name) else {
            await services.cluster.announceKeyspace(name: name, config: nil, dropped: true)
            return
        }
        let body =
            "{\"consistency\":\"\(config.consistency.rawValue)\",\"replicas\":\(config.replicas),"
            + "\"changeRetentionSeconds\":\(config.changeRetentionSeconds),\"regions\":\(config.regions),"
            + "\"indexes\":\(config.indexesJSON)}"
        await services.cluster.announceKeyspace(name: name, config: Array(body.utf8), dropped: false)
    }

    /// Creates or updates a keyspace from the fields of a `PUT` body; true when it created it.
    func apply(_ name: String, _ fields: JSONFields) async throws -> Bool {
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
        if let list = fields.object["indexes"], list != .null {
            guard case .array(let items) = list else { throw TesseraError.badRequest("indexes must be an array") }
            config.indexesJSON = IndexManager.encode(try Self.definitions(items))
        }
        if let regions = try fields.bool("regions"), regions != config.regions {
            // Placement depends on it: changing it would strand the items already placed.
            if engine.keyspace(name) != nil, try engine.itemCount(keyspace: name) > 0 {
                throw TesseraError(.conflict, "regions can only change while keyspace \(name) is empty")
            }
            config.regions = regions
        }
        let created = try await engine.putKeyspace(config)
        try indexes.backfill(name, try indexes.register(config), engine: engine)
        return created
    }

    /// Parses and checks a list of index definitions (names must be unique).
    static func definitions(_ items: [JSONValue]) throws(TesseraError) -> [IndexDefinition] {
        var seen: Set<String> = []
        return try items.map { json throws(TesseraError) in
            let definition: IndexDefinition
            do { definition = try IndexDefinition(json: json) } catch {
                throw .badRequest(((error as? IndexError)?.message ?? "\(error)"))
            }
            guard seen.insert(definition.name).inserted else {
                throw .badRequest("two indexes are named \(definition.name)")
            }
            return definition
        }
    }

    func addIndex(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let name = try request.name("ks", context, kind: "keyspace")
        guard var config = engine.keyspace(name) else {
            throw TesseraError(.keyspaceNotFound, "keyspace \(name) does not exist")
        }
        let body = try await request.jsonObject()
        var definitions = try IndexManager.definitions(config)
        let added = try Self.definitions([.object(body)])[0]
        guard !definitions.contains(where: { $0.name == added.name }) else {
            throw TesseraError(.conflict, "keyspace \(name) already has an index \(added.name)")
        }
        definitions.append(added)
        config.indexesJSON = IndexManager.encode(definitions)
        _ = try await engine.putKeyspace(config)
        try indexes.backfill(name, try indexes.register(config), engine: engine)
        await announce(name)
        return try describe(name, status: .created)
    }

    func dropIndex(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let name = try request.name("ks", context, kind: "keyspace")
        let index = try request.name("name", context, kind: "index")
        guard var config = engine.keyspace(name) else {
            throw TesseraError(.keyspaceNotFound, "keyspace \(name) does not exist")
        }
        var definitions = try IndexManager.definitions(config)
        guard definitions.contains(where: { $0.name == index }) else {
            throw TesseraError(.notFound, "keyspace \(name) has no index \(index)")
        }
        definitions.removeAll { $0.name == index }
        config.indexesJSON = IndexManager.encode(definitions)
        _ = try await engine.putKeyspace(config)
        _ = try indexes.register(config)
        await announce(name)
        return Responses.noContent
    }

    func show(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        try describe(try request.name("ks", context, kind: "keyspace"), status: .ok)
    }

    func drop(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let name = try request.name("ks", context, kind: "keyspace")
        try await engine.dropKeyspace(name)
        indexes.drop(name)
        await announce(name)
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
        out.field("regions", config.regions)
        out.field("effectiveReplicas", services.cluster.effectiveReplicas(config.name))
        out.field("changeRetentionSeconds", config.changeRetentionSeconds)
        out.key("encryption")
        out.beginObject()
        out.field("mode", config.encryptionMode)
        out.endObject()
        out.key("indexes")
        out.beginArray()
        let entries = indexes.indexes(of: config.name)?.entries.withLock { $0 } ?? [:]
        for definition in (try? IndexManager.definitions(config)) ?? [] {
            guard case .object(var members) = definition.json else { continue }
            let entry = entries[definition.name]
            members["status"] = .string(entry?.ready == true ? "ready" : "building")
            members["items"] = .number(Double(entry?.index.count ?? 0))
            out.value(.object(members))
        }
        out.endArray()
        out.field("items", items)
        out.field("partitions", engine.partitioner.count)
        out.field("createdAtMs", config.createdAtMs)
        out.endObject()
    }
}
