import GRPCCore
import Synchronization
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
    /// copies each partition it gains from every one of that partition's current replicas, then announces itself
    /// `up`. A source that is down is waited for (or until it is removed): a write acknowledged by a quorum of
    /// the old replicas is then on at least one of the copies taken.
    func join() async {
        // Keep asking the seeds until one answers: the node stays `joining` (not ready) meanwhile, and never
        // starts a cluster of its own.
        while membership.peers().isEmpty && !Task.isCancelled {
            await contactSeeds()
            if membership.peers().isEmpty {
                logger.warning("no seed of \(config.join) answered; retrying")
                try? await Task.sleep(for: .seconds(1))
            }
        }
        await awaitSelfKnown(timeoutMs: 30_000)
        // Keyspaces come with gossip; give the definitions a moment to land before listing partitions.
        try? await Task.sleep(for: .milliseconds(Int64(config.gossipIntervalMs * 2)))
        let transfers = incomingTransfers()
        let progress = Progress(total: transfers.count)
        setProgress(progress.snapshot)
        await withTaskGroup(of: Void.self) { group in
            var started = 0
            for transfer in transfers {
                if started >= Self.parallelTransfers { await group.next() }
                started += 1
                group.addTask {
                    let items = await self.copyIn(transfer)
                    self.setProgress(progress.finish(items: items))
                }
            }
        }
        if Task.isCancelled { return }
        let (done, items) = progress.snapshot
        logger.info("joined: \(done.done) keyspace partitions, \(items) items copied")
        membership.updateSelf(nowMs: nowMs) { $0.status = .up }
        try? persist()
        await awaitSelfKnown(timeoutMs: 10_000)
    }

    static let parallelTransfers = 4

    /// Counts finished transfers across concurrent tasks.
    final class Progress: Sendable {
        let total: Int
        private let state = Mutex((done: 0, items: 0))
        init(total: Int) { self.total = total }

        var snapshot: ((total: Int, done: Int), Int) {
            let (done, items) = state.withLock { ($0.done, $0.items) }
            return ((total: total, done: done), items)
        }

        func finish(items: Int) -> ((total: Int, done: Int), Int) {
            state.withLock { state in
                state.done += 1
                state.items += items
                return ((total: total, done: state.done), state.items)
            }
        }
    }

    private func setProgress(_ progress: ((total: Int, done: Int), Int)) {
        membership.updateSelf(nowMs: nowMs) {
            $0.streamsTotal = progress.0.total
            $0.streamsDone = progress.0.done
            $0.streamedItems = progress.1
        }
    }

    /// Copies one keyspace partition from every current replica, waiting for those that are down until they
    /// answer or are removed; returns the records received.
    func copyIn(_ transfer: Transfer) async -> Int {
        var pending = Set(transfer.nodes.filter { $0 != nodeID })
        var items = 0
        var warned = false
        while !pending.isEmpty && !Task.isCancelled {
            for source in pending.sorted() {
                guard let record = membership.record(source), record.status != .left else {
                    pending.remove(source)
                    continue
                }
                guard membership.isAlive(source, nowMs: nowMs) else { continue }
                if let count = await pull(transfer.keyspace, transfer.partition, from: record) {
                    items += count
                    pending.remove(source)
                }
            }
            if !pending.isEmpty {
                if !warned {
                    logger.warning(
                        "waiting for \(pending.sorted()) to copy \(transfer.keyspace)/\(transfer.partition) from them")
                    warned = true
                }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        return items
    }

    /// Copies one keyspace partition from `source`; the records received, or nil when the copy failed.
    func pull(_ keyspace: String, _ partition: Int, from source: MemberRecord) async -> Int? {
        do {
            let client = try peers.client(source.peerAddress)
            var request = Tessera_Peer_V1_StreamRequest()
            request.keyspace = keyspace
            request.partition = UInt32(partition)
            let engine = self.engine
            return try await client.streamPartition(request, options: callOptions(timeoutMs: 600_000)) { response in
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
            logger.warning("copying \(keyspace)/\(partition) from \(source.id) failed, will retry: \(error)")
            return nil
        }
    }

    /// Drops the keyspace partitions this node no longer replicates (their data moved to new owners), once
    /// the membership has been stable for `cleanupDelayMs`: every member up, nobody joining or leaving.
    func cleanupLoop() async {
        var stableSince: Int64?
        var lastMembers: [String] = []
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(max(100, min(2_000, config.cleanupDelayMs / 4))))
            let members = membership.rings.read.members.map(\.id)
            guard settled() else {
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
                    && !ownPlacement(keyspace, partition).write.contains(nodeID)
                {
                    // The membership may have moved since the check above: look again before each release.
                    guard settled(), membership.rings.read.members.map(\.id) == lastMembers else { break }
                    let removed = engine.releasePartition(keyspace: keyspace, partition: partition)
                    logger.info("released \(keyspace)/\(partition) (\(removed) items): replicated elsewhere now")
                }
            }
        }
    }

    /// Every member up (as this node sees them), nobody joining or leaving.
    private func settled() -> Bool {
        let (read, write) = membership.rings
        return membership.selfRecord.status == .up && read.members.map(\.id) == write.members.map(\.id)
            && membership.view(nowMs: nowMs).allSatisfy { $0.state == "up" }
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
        let progress = Progress(total: transfers.count)
        setProgress(progress.snapshot)
        for transfer in transfers {
            if Task.isCancelled { return }
            let records =
                (try? engine.partitionRecords(keyspace: transfer.keyspace, partition: transfer.partition)) ?? []
            for target in transfer.nodes { await push(records, to: target) }
            setProgress(progress.finish(items: records.count))
        }
        logger.info("left: \(transfers.count) keyspace partitions, \(progress.snapshot.1) items handed off")
        membership.updateSelf(nowMs: nowMs) { $0.status = .left }
        try? persist()
        await awaitSelfKnown(timeoutMs: 5_000)
        hooks?.leftCluster()
    }

    /// Sends records to a new owner in batches. A leaving node keeps trying while the target is down (its copy
    /// may be the only hand-off of some writes), and gives up only if the target is removed.
    func push(_ records: [ReplicaRecord], to target: String) async {
        var index = 0
        var warned = false
        while index < records.count, !Task.isCancelled {
            let end = min(records.count, index + 512)
            let batch = Array(records[index..<end])
            if await send(batch, to: target) {
                index = end
                continue
            }
            guard let member = membership.record(target), member.status != .left else { return }
            if !warned {
                logger.warning("waiting for \(target) to take its share before leaving")
                warned = true
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    /// Applies records on one replica (this node directly); true when acknowledged.
    func send(_ records: [ReplicaRecord], to target: String) async -> Bool {
        await applyOn(target, records) != nil
    }

    /// Applies records on one replica; the per-record results, or nil when it failed.
    func applyOn(_ target: String, _ records: [ReplicaRecord]) async -> [ReplicaApplyResult]? {
        if target == nodeID { return try? await engine.applyReplica(records) }
        return await batcher.apply.call(records, on: target)
    }

    /// One `Apply` call to a peer (the batcher's way out).
    func sendApply(_ target: String, _ records: [ReplicaRecord]) async -> [ReplicaApplyResult]? {
        guard let member = membership.record(target) else { return nil }
        do {
            let client = try peers.client(member.peerAddress)
            var request = Tessera_Peer_V1_ApplyRequest()
            request.items = records.map(\.proto)
            let response = try await client.apply(request, options: callOptions(timeoutMs: config.replicaTimeoutMs))
            membership.heartbeat(from: target, nowMs: nowMs)
            guard response.results.count == records.count else { return nil }
            return response.results.map { ReplicaApplyResult(applied: $0.applied, hadLive: $0.hadLive) }
        } catch {
            return nil
        }
    }
}
