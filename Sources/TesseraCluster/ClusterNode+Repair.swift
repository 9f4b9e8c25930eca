import GRPCCore
import TesseraCore
import TesseraStorage

extension ClusterNode {
    /// Delivers hints to peers that answer again, every half second.
    func hintLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(500))
            let notBefore = nowMs - engine.options.tombstoneGraceMs
            for peer in hints.peers where membership.isAlive(peer, nowMs: nowMs) {
                while true {
                    let batch = hints.take(for: peer, limit: 512, notBeforeMs: notBefore)
                    if batch.isEmpty { break }
                    if await send(batch, to: peer) {
                        counters.withLock { $0.hintsDelivered += batch.count }
                        continue
                    }
                    // One bad record (its keyspace dropped, say) must not block the rest: deliver one by one
                    // and drop what the replica refuses while it answers; stop when it stops answering.
                    var undelivered: [ReplicaRecord] = []
                    for (index, record) in batch.enumerated() {
                        if await send([record], to: peer) {
                            counters.withLock { $0.hintsDelivered += 1 }
                        } else if membership.isAlive(peer, nowMs: nowMs), await reachable(peer) {
                            logger.warning(
                                "dropping a hint for \(peer) that it refuses: \(record.keyspace)/\(record.key)")
                        } else {
                            undelivered = Array(batch[index...])
                            break
                        }
                    }
                    if !undelivered.isEmpty {
                        hints.restore(undelivered, for: peer)
                        break
                    }
                }
            }
        }
    }

    /// Whether a peer answers at all (an empty apply).
    func reachable(_ peer: String) async -> Bool { await applyOn(peer, []) != nil }

    /// The Merkle tree of one keyspace partition as this node holds it.
    func localTree(keyspace: String, partition: Int) throws -> MerkleTree {
        var tree = MerkleTree()
        for record in try engine.partitionRecords(keyspace: keyspace, partition: partition) {
            tree.insert(
                key: record.key, versionRaw: record.version.timestamp.rawValue, node: record.version.node,
                tombstone: record.isTombstone)
        }
        return tree
    }

    /// Walks the keyspace partitions this node replicates, one per tick, and reconciles each with one other
    /// replica (round robin): compare Merkle roots, descend to the leaves that differ, exchange their records
    /// both ways (last writer wins on each side).
    func antiEntropyLoop() async {
        var tick = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(config.antiEntropyIntervalMs))
            guard membership.selfRecord.status == .up else { continue }
            let keyspaces = engine.keyspaceNames.sorted()
            guard !keyspaces.isEmpty else { continue }
            let partitions = engine.partitioner.count
            let slot = tick % (keyspaces.count * partitions)
            tick += 1
            let keyspace = keyspaces[slot / partitions]
            let partition = slot % partitions
            let replicas = ownPlacement(keyspace, partition).read
            guard replicas.contains(nodeID) else { continue }
            let others = replicas.filter { $0 != nodeID && membership.isAlive($0, nowMs: nowMs) }
            guard !others.isEmpty else { continue }
            let peer = others[(tick / (keyspaces.count * partitions)) % others.count]
            await reconcile(keyspace, partition, with: peer)
        }
    }

    /// One anti-entropy exchange; returns the records repaired on either side.
    @discardableResult
    func reconcile(_ keyspace: String, _ partition: Int, with peer: String) async -> Int {
        guard let member = membership.record(peer) else { return 0 }
        do {
            let client = try peers.client(member.peerAddress)
            let mine = try localTree(keyspace: keyspace, partition: partition)
            var treeRequest = Tessera_Peer_V1_TreeRequest()
            treeRequest.keyspace = keyspace
            treeRequest.partition = UInt32(partition)
            let theirs = try await client.tree(treeRequest, options: callOptions(timeoutMs: config.replicaTimeoutMs))
            counters.withLock { $0.antiEntropyRounds += 1 }
            guard theirs.exists, let theirTree = MerkleTree(nodes: theirs.nodes), theirTree.leafCount == mine.leafCount,
                theirTree.root != mine.root
            else {
                return 0
            }
            let leaves = mine.differingLeaves(from: theirTree)
            var leafRequest = Tessera_Peer_V1_LeafRequest()
            leafRequest.keyspace = keyspace
            leafRequest.partition = UInt32(partition)
            leafRequest.leafCount = UInt32(mine.leafCount)
            leafRequest.leaves = leaves.map { UInt32($0) }
            let remote = try await client.leaves(leafRequest, options: callOptions(timeoutMs: config.replicaTimeoutMs))
                .items.map(ReplicaRecord.init)
            let wanted = Set(leaves)
            let local = try engine.partitionRecords(keyspace: keyspace, partition: partition).filter {
                wanted.contains(MerkleTree.leaf(of: $0.key, leafCount: mine.leafCount))
            }
            var remoteVersions: [String: Version] = [:]
            for record in remote { remoteVersions[record.key] = record.version }
            var localVersions: [String: Version] = [:]
            for record in local { localVersions[record.key] = record.version }
            let pullIn = remote.filter { record in localVersions[record.key].map { $0 < record.version } ?? true }
            let pushOut = local.filter { record in remoteVersions[record.key].map { $0 < record.version } ?? true }
            if !pullIn.isEmpty { _ = try await engine.applyReplica(pullIn) }
            if !pushOut.isEmpty { _ = await send(pushOut, to: peer) }
            let repaired = pullIn.count + pushOut.count
            if repaired > 0 {
                counters.withLock { $0.antiEntropyRepairs += repaired }
                logger.info("anti-entropy \(keyspace)/\(partition) with \(peer): \(repaired) records repaired")
            }
            return repaired
        } catch {
            logger.debug("anti-entropy \(keyspace)/\(partition) with \(peer) failed: \(error)")
            return 0
        }
    }
}
