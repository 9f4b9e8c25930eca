import GRPCCore
import TesseraCore
import TesseraStorage

extension ClusterNode {
    /// One keyspace partition that changes owners.
    struct Transfer: Sendable {
        var keyspace: String
        var partition: Int
        /// Where the data comes from (join) or goes to (leave).
        var nodes: [String]
    }

    /// Replica count of a keyspace on a ring of `members` nodes.
    func replicaCount(_ keyspace: String, members: Int) -> Int {
        min(max(1, engine.keyspace(keyspace)?.replicas ?? 3), max(1, members))
    }

    /// The placement of a keyspace partition as this node sees its own share: in its region for a
    /// region-pinned keyspace (a node only ever holds its own region's keys of such a keyspace).
    func ownPlacement(_ keyspace: String, _ partition: Int) -> PartitionPlacement {
        placement(
            keyspace: keyspace, partition: partition, region: isRegional(keyspace) ? config.region : nil)
    }

    /// Partitions this node gains in the placement being moved to, with their current replicas.
    func incomingTransfers() -> [Transfer] {
        var transfers: [Transfer] = []
        for keyspace in engine.keyspaceNames {
            for partition in 0..<engine.partitioner.count {
                let placement = ownPlacement(keyspace, partition)
                if placement.pending.contains(nodeID) {
                    transfers.append(Transfer(keyspace: keyspace, partition: partition, nodes: placement.read))
                }
            }
        }
        return transfers
    }

    /// Partitions this node holds now whose new owners do not hold them yet.
    func outgoingTransfers() -> [Transfer] {
        var transfers: [Transfer] = []
        for keyspace in engine.keyspaceNames {
            for partition in 0..<engine.partitioner.count {
                let placement = ownPlacement(keyspace, partition)
                if placement.read.contains(nodeID) && !placement.pending.isEmpty {
                    transfers.append(Transfer(keyspace: keyspace, partition: partition, nodes: placement.pending))
                }
            }
        }
        return transfers
    }

    /// Joins: announces itself as `joining` (writes start to reach it), waits until every live member knows,
    /// copies each partition it gains from that partition's current replicas, then announces itself `up`.
    func join() async {
        if membership.peers().isEmpty { await contactSeeds() }
        await awaitSelfKnown(timeoutMs: 30_000)
        // Keyspaces come with gossip; give the definitions a moment to land before listing partitions.
        try? await Task.sleep(for: .milliseconds(Int64(config.gossipIntervalMs * 2)))
        let transfers = incomingTransfers()
        setProgress(total: transfers.count, done: 0, items: 0)
        var done = 0
        var items = 0
        for transfer in transfers {
            if Task.isCancelled { return }
            for source in transfer.nodes where source != nodeID {
                items += await pull(transfer.keyspace, transfer.partition, from: source)
            }
            done += 1
            setProgress(total: transfers.count, done: done, items: items)
        }
        logger.info("joined: \(transfers.count) keyspace partitions, \(items) items copied")
        membership.updateSelf(nowMs: nowMs) { $0.status = .up }
        try? persist()
        await awaitSelfKnown(timeoutMs: 10_000)
    }

    private func setProgress(total: Int, done: Int, items: Int) {
        membership.updateSelf(nowMs: nowMs) {
            $0.streamsTotal = total
            $0.streamsDone = done
            $0.streamedItems = items
        }
    }

    /// Copies one keyspace partition from `source`; returns the records received. Retries until it succeeds or
    /// the source is judged down.
    func pull(_ keyspace: String, _ partition: Int, from source: String) async -> Int {
        while !Task.isCancelled {
            guard let record = membership.record(source), membership.isAlive(source, nowMs: nowMs) else { return 0 }
            do {
                let client = try peers.client(record.peerAddress)
                var request = Tessera_Peer_V1_StreamRequest()
                request.keyspace = keyspace
                request.partition = UInt32(partition)
                let engine = self.engine
                return try await client.streamPartition(request, options: callOptions(timeoutMs: 600_000)) {
                    response in
                    var count = 0
                    for try await batch in response.messages {
                        let records = batch.items.map(ReplicaRecord.init)
                        do { _ = try await engine.applyReplica(records) } catch let error as TesseraError {
                            throw RPCError(code: .internalError, message: error.message)
                        }
                        count += records.count
                    }
                    return count
                }
            } catch {
                logger.warning("copying \(keyspace)/\(partition) from \(source) failed, retrying: \(error)")
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        return 0
    }

    /// Drops the keyspace partitions this node no longer replicates (their data moved to new owners), once
    /// the membership has been stable for `cleanupDelayMs`: every member up, nobody joining or leaving.
    func cleanupLoop() async {
        var stableSince: Int64?
        var lastMembers: [String] = []
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(max(100, min(2_000, config.cleanupDelayMs / 4))))
            let (read, write) = membership.rings
            let members = read.members.map(\.id)
            let settled =
                membership.selfRecord.status == .up && members == write.members.map(\.id)
                && membership.view(nowMs: nowMs).allSatisfy { $0.state == "up" }
            guard settled else {
                stableSince = nil
                continue
            }
            if members != lastMembers || stableSince == nil {
                lastMembers = members
                stableSince = nowMs
            }
            guard let since = stableSince, nowMs - since >= Int64(config.cleanupDelayMs) else { continue }
            for keyspace in engine.keyspaceNames {
                for partition in 0..<engine.partitioner.count
                where engine.recordCount(keyspace: keyspace, partition: partition) > 0
                    && !ownPlacement(keyspace, partition).read.contains(nodeID)
                {
                    let removed = engine.releasePartition(keyspace: keyspace, partition: partition)
                    logger.info("released \(keyspace)/\(partition) (\(removed) items): replicated elsewhere now")
                }
            }
        }
    }

    /// Starts decommissioning this node (once). False when it cannot leave.
    func beginLeave() -> Bool {
        let status = membership.selfRecord.status
        guard status == .up || status == .leaving else { return false }
        guard !membership.peers().filter({ $0.inWriteRing }).isEmpty else { return false }
        let first = leaving.withLock { started in
            defer { started = true }
            return !started
        }
        if first { Task { await self.leave() } }
        return true
    }

    /// Leaves: announces `leaving` (writes start to reach the new owners), waits until every live member knows,
    /// pushes each partition to the nodes that gain it, announces `left` and stops the process.
    func leave() async {
        _ = leaving.withLock { started in started = true }
        membership.updateSelf(nowMs: nowMs) { $0.status = .leaving }
        try? persist()
        await awaitSelfKnown(timeoutMs: 30_000)
        let transfers = outgoingTransfers()
        setProgress(total: transfers.count, done: 0, items: 0)
        var done = 0
        var items = 0
        for transfer in transfers {
            if Task.isCancelled { return }
            let records =
                (try? engine.partitionRecords(keyspace: transfer.keyspace, partition: transfer.partition)) ?? []
            for target in transfer.nodes { await push(records, to: target) }
            items += records.count
            done += 1
            setProgress(total: transfers.count, done: done, items: items)
        }
        logger.info("left: \(transfers.count) keyspace partitions, \(items) items handed off")
        membership.updateSelf(nowMs: nowMs) { $0.status = .left }
        try? persist()
        await awaitSelfKnown(timeoutMs: 5_000)
        hooks?.leftCluster()
    }

    /// Sends records to a peer in batches, retrying while it is alive; what cannot be delivered becomes hints.
    func push(_ records: [ReplicaRecord], to target: String) async {
        var index = 0
        while index < records.count, !Task.isCancelled {
            let end = min(records.count, index + 512)
            let batch = Array(records[index..<end])
            if await send(batch, to: target) {
                index = end
                continue
            }
            guard membership.isAlive(target, nowMs: nowMs) else {
                for record in records[index...] { hints.add(record, for: target) }
                return
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Applies records on one replica (this node directly); true when acknowledged.
    func send(_ records: [ReplicaRecord], to target: String) async -> Bool {
        await applyOn(target, records) != nil
    }

    /// Applies records on one replica; the per-record results, or nil when it failed.
    func applyOn(_ target: String, _ records: [ReplicaRecord]) async -> [ReplicaApplyResult]? {
        if target == nodeID { return try? await engine.applyReplica(records) }
        guard let member = membership.record(target) else { return nil }
        do {
            let client = try peers.client(member.peerAddress)
            var request = Tessera_Peer_V1_ApplyRequest()
            request.items = records.map(\.proto)
            let response = try await client.apply(request, options: callOptions(timeoutMs: config.replicaTimeoutMs))
            membership.heartbeat(from: target, nowMs: nowMs)
            return response.results.map { ReplicaApplyResult(applied: $0.applied, hadLive: $0.hadLive) }
        } catch {
            return nil
        }
    }
}
