import GRPCCore
import TesseraCore
import TesseraStorage

/// The node-to-node gRPC service.
struct PeerService: Tessera_Peer_V1_Peer.SimpleServiceProtocol {
    let node: ClusterNode
    var engine: StorageEngine { node.engine }

    func gossip(request: Tessera_Peer_V1_GossipRequest, context: ServerContext) async throws
        -> Tessera_Peer_V1_GossipResponse
    {
        guard Int(request.partitions) == engine.partitioner.count else {
            throw RPCError(
                code: .failedPrecondition,
                message: "partition count \(request.partitions) differs from \(engine.partitioner.count)")
        }
        node.membership.heartbeat(from: request.from, nowMs: node.nowMs)
        await node.absorb(
            members: request.members.map(MemberRecord.init), keyspaces: request.keyspaces.map(KeyspaceEntry.init),
            from: request.from)
        let (members, keyspaces) = node.membership.gossipPayload()
        var response = Tessera_Peer_V1_GossipResponse()
        response.partitions = UInt32(engine.partitioner.count)
        response.members = members.map(\.proto)
        response.keyspaces = keyspaces.map(\.proto)
        return response
    }

    func apply(request: Tessera_Peer_V1_ApplyRequest, context: ServerContext) async throws
        -> Tessera_Peer_V1_ApplyResponse
    {
        let results = try await rpc { () async throws(TesseraError) in
            try await engine.applyReplica(request.items.map(ReplicaRecord.init))
        }
        var response = Tessera_Peer_V1_ApplyResponse()
        response.results = results.map { result in
            var out = Tessera_Peer_V1_ApplyResult()
            out.applied = result.applied
            out.hadLive = result.hadLive
            return out
        }
        return response
    }

    func read(request: Tessera_Peer_V1_ReadRequest, context: ServerContext) async throws
        -> Tessera_Peer_V1_ReadResponse
    {
        let record = try await rpc { () async throws(TesseraError) in
            try await engine.readReplica(keyspace: request.keyspace, key: request.key)
        }
        var response = Tessera_Peer_V1_ReadResponse()
        if let record {
            response.found = true
            response.item = record.proto
        }
        return response
    }

    func readMany(request: Tessera_Peer_V1_ReadManyRequest, context: ServerContext) async throws
        -> Tessera_Peer_V1_ReadManyResponse
    {
        var response = Tessera_Peer_V1_ReadManyResponse()
        response.answers.reserveCapacity(request.reads.count)
        for read in request.reads {
            var answer = Tessera_Peer_V1_ReadResponse()
            // One key's failure (a keyspace dropped meanwhile) is that key's `found: false`, not the batch's.
            if let record = try? await engine.readReplica(keyspace: read.keyspace, key: read.key) {
                answer.found = true
                answer.item = record.proto
            }
            response.answers.append(answer)
        }
        return response
    }

    func scan(request: Tessera_Peer_V1_ScanRequest, context: ServerContext) async throws
        -> Tessera_Peer_V1_ScanResponse
    {
        let records = try await rpc { () async throws(TesseraError) in
            try await engine.scanReplica(
                keyspace: request.keyspace, partitions: request.partitions.map { Int($0) }, prefix: request.prefix,
                lower: request.lower, upper: request.hasUpper_p ? request.upper : nil,
                limit: Int(max(1, min(request.limit, 100_000))))
        }
        var response = Tessera_Peer_V1_ScanResponse()
        response.items = records.map { record in
            var proto = record.proto
            if request.keysOnly { proto.value = .init() }
            return proto
        }
        return response
    }

    func tree(request: Tessera_Peer_V1_TreeRequest, context: ServerContext) async throws
        -> Tessera_Peer_V1_TreeResponse
    {
        var response = Tessera_Peer_V1_TreeResponse()
        guard engine.keyspace(request.keyspace) != nil else { return response }
        response.exists = true
        response.nodes = try node.localTree(keyspace: request.keyspace, partition: Int(request.partition)).nodes
        return response
    }

    func leaves(request: Tessera_Peer_V1_LeafRequest, context: ServerContext) async throws
        -> Tessera_Peer_V1_LeafResponse
    {
        let wanted = Set(request.leaves.map { Int($0) })
        let records = try rpcSync { () throws(TesseraError) -> [ReplicaRecord] in
            try engine.partitionRecords(keyspace: request.keyspace, partition: Int(request.partition))
        }
        var response = Tessera_Peer_V1_LeafResponse()
        let leafCount = Int(request.leafCount)
        guard MerkleTree.isValidLeafCount(leafCount) else {
            throw RPCError(code: .invalidArgument, message: "leaf count \(leafCount) is not a power of two up to 2^24")
        }
        response.items = records.filter { wanted.contains(MerkleTree.leaf(of: $0.key, leafCount: leafCount)) }.map(
            \.proto)
        return response
    }

    func streamPartition(
        request: Tessera_Peer_V1_StreamRequest, response: RPCWriter<Tessera_Peer_V1_ItemBatch>, context: ServerContext
    ) async throws {
        let records = try rpcSync { () throws(TesseraError) -> [ReplicaRecord] in
            try engine.partitionRecords(keyspace: request.keyspace, partition: Int(request.partition))
        }
        var index = 0
        while index < records.count {
            let end = min(records.count, index + 512)
            var batch = Tessera_Peer_V1_ItemBatch()
            batch.items = records[index..<end].map(\.proto)
            try await response.write(batch)
            index = end
        }
    }

    func forward(request: Tessera_Peer_V1_ForwardRequest, context: ServerContext) async throws
        -> Tessera_Peer_V1_ForwardResponse
    {
        let answer = await node.handleForward(
            operation: request.operation, keyspace: request.keyspace, name: request.name, body: [UInt8](request.body),
            headers: request.headers)
        var response = Tessera_Peer_V1_ForwardResponse()
        response.status = UInt32(answer.status)
        response.body = .init(answer.body)
        response.headers = answer.headers
        return response
    }

    func leave(request: Tessera_Peer_V1_LeaveRequest, context: ServerContext) async throws
        -> Tessera_Peer_V1_LeaveResponse
    {
        var response = Tessera_Peer_V1_LeaveResponse()
        response.accepted = request.node == node.nodeID && node.beginLeave()
        return response
    }

    /// Runs a storage call, mapping its error to a gRPC status the coordinator reads back.
    private func rpc<T: Sendable>(_ body: () async throws(TesseraError) -> T) async throws -> T {
        do { return try await body() } catch { throw RPCError(code: .failedPrecondition, message: error.message) }
    }

    private func rpcSync<T>(_ body: () throws(TesseraError) -> T) throws -> T {
        do { return try body() } catch { throw RPCError(code: .failedPrecondition, message: error.message) }
    }
}
