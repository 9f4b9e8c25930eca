import GRPCCore
import TesseraCore
import TesseraStorage

/// Where one keyspace partition lives: the replicas of the current placement (reads) and, while nodes join
/// or leave, those of the placement being moved to (writes reach both).
public struct PartitionPlacement: Sendable, Equatable {
    /// The partition.
    public var partition: Int
    /// Replicas in the current placement, first replica first.
    public var read: [String]
    /// Replicas that only the placement being moved to has.
    public var pending: [String]
    /// The region of a region-pinned keyspace's placement (nil: the whole ring).
    public var region: String? = nil

    /// Every node a write goes to.
    public var write: [String] { read + pending }
}

extension ClusterNode {
    /// The placement of a keyspace's partition (on the nodes of `region` only, when given).
    public func placement(keyspace: String, partition: Int, region: String? = nil) -> PartitionPlacement {
        let (readRing, writeRing) = membership.rings
        let read: [String]
        let write: [String]
        if let region {
            read = readRing.replicas(
                of: partition, count: replicaCount(keyspace, members: readRing.members.count { $0.region == region }),
                region: region)
            write = writeRing.replicas(
                of: partition, count: replicaCount(keyspace, members: writeRing.members.count { $0.region == region }),
                region: region)
        } else {
            read = readRing.replicas(of: partition, count: replicaCount(keyspace, members: readRing.members.count))
            write = writeRing.replicas(of: partition, count: replicaCount(keyspace, members: writeRing.members.count))
        }
        return PartitionPlacement(
            partition: partition, read: read, pending: write.filter { !read.contains($0) }, region: region)
    }

    /// Whether the keyspace is region-pinned.
    public func isRegional(_ keyspace: String) -> Bool { engine.keyspace(keyspace)?.regions ?? false }

    /// Where a key lives. In a region-pinned keyspace the key's hash tag names its region: only that region's
    /// nodes hold it (400 without a tag, 503 when the region has no node).
    public func placement(keyspace: String, key: String) throws(TesseraError) -> PartitionPlacement {
        let partition = engine.partitioner.partition(of: key)
        guard isRegional(keyspace) else { return placement(keyspace: keyspace, partition: partition) }
        guard let tag = HashTag.tag(of: key) else {
            throw TesseraError.badRequest(
                "keyspace \(keyspace) is region-pinned: keys must contain a {region} hash tag, as in {eu}:user:1")
        }
        let placement = placement(keyspace: keyspace, partition: partition, region: String(tag))
        guard !placement.write.isEmpty else {
            throw TesseraError(.unavailable, "no node of region \(tag) is in the cluster")
        }
        return placement
    }

    /// Every placement a fan-out over `partitions` reads: one per partition, or, for a region-pinned keyspace,
    /// one per partition and region (only `region`'s when given).
    public func fanoutPlacements(keyspace: String, partitions: [Int], region: String? = nil) -> [PartitionPlacement] {
        guard isRegional(keyspace) else { return partitions.map { placement(keyspace: keyspace, partition: $0) } }
        let regions = region.map { [$0] } ?? Array(Set(membership.rings.read.members.map(\.region))).sorted()
        return partitions.flatMap { partition in
            regions.map { placement(keyspace: keyspace, partition: partition, region: $0) }
        }.filter { !$0.read.isEmpty }
    }

    /// Whether requests on this keyspace can skip placement: a single-node cluster, and a keyspace that is not
    /// region-pinned (whose keys still need their region checked).
    func soloFastPath(_ keyspace: String) -> Bool {
        membership.isSolo && !isRegional(keyspace) && membership.selfRecord.status == .up
    }

    /// Copies each partition of the keyspace has now: its `replicas` capped by the nodes in the placement.
    public func effectiveReplicas(_ keyspace: String) -> Int {
        placement(keyspace: keyspace, partition: 0).read.count
    }

    /// Whether the keyspace chose `strong` consistency.
    public func isStrong(_ keyspace: String) -> Bool { engine.keyspace(keyspace)?.consistency == .strong }

    /// The consistency a request gets: a `strong` keyspace never answers from one replica alone, so that a
    /// side of a network partition without a majority of the replicas refuses (503) rather than answer stale.
    /// (Linearizability needs Raft per partition, which is not wired in yet; see docs/cluster.md.)
    public func effectiveConsistency(_ keyspace: String, _ requested: ReadWriteConsistency)
        -> ReadWriteConsistency
    {
        requested == .one && isStrong(keyspace) ? .quorum : requested
    }

    /// Whether this node alone holds the partition (a single-node cluster): requests then take the storage
    /// engine's own path.
    func isLocalOnly(_ placement: PartitionPlacement) -> Bool {
        placement.pending.isEmpty && placement.read == [nodeID]
    }

    func checkKeyspace(_ keyspace: String) throws(TesseraError) {
        guard engine.keyspace(keyspace) != nil else {
            throw TesseraError(.keyspaceNotFound, "keyspace \(keyspace) does not exist")
        }
    }

    // MARK: writes

    /// Stores a value at the given consistency: the coordinator stamps a hybrid-clock version and sends it to
    /// every replica, answering once W acknowledge (plus one per replica still receiving a moved partition).
    public func put(
        keyspace: String, key: String, value: [UInt8], contentType: String, ttlMs: Int64?,
        consistency: ReadWriteConsistency
    ) async throws(TesseraError) -> PutResult {
        if soloFastPath(keyspace) {
            return try await engine.put(
                keyspace: keyspace, key: key, value: value, contentType: contentType, ttlMs: ttlMs)
        }
        try checkKeyspace(keyspace)
        let placement = try placement(keyspace: keyspace, key: key)
        if isLocalOnly(placement) {
            return try await engine.put(
                keyspace: keyspace, key: key, value: value, contentType: contentType, ttlMs: ttlMs)
        }
        if isStrong(keyspace) {
            // Strong keyspaces (until they run on Raft): every write is serialized by the partition's primary.
            guard
                let result = try await conditionalPut(
                    keyspace: keyspace, key: key, value: value, contentType: contentType, ttlMs: ttlMs,
                    condition: .none, fence: nil, consistency: consistency)
            else { throw TesseraError(.internal, "a put answered without a version") }
            return result
        }
        let consistency = effectiveConsistency(keyspace, consistency)
        let version = engine.newVersion()
        let item = StoredItem(
            value: value, contentType: contentType, version: version,
            expiresAtMs: ttlMs.map { nowMs + max(1, $0) } ?? 0)
        let results = try await replicate(
            ReplicaRecord(keyspace: keyspace, key: key, version: version, item: item), placement: placement,
            consistency: consistency)
        return PutResult(created: !results.contains { $0.hadLive }, version: version)
    }

    /// Deletes a key at the given consistency (a tombstone with a new version); `not_found` when a read at the
    /// same consistency finds no value.
    public func delete(keyspace: String, key: String, consistency: ReadWriteConsistency) async throws(TesseraError) {
        if soloFastPath(keyspace) {
            try await engine.delete(keyspace: keyspace, key: key)
            return
        }
        try checkKeyspace(keyspace)
        let placement = try placement(keyspace: keyspace, key: key)
        if isLocalOnly(placement) {
            try await engine.delete(keyspace: keyspace, key: key)
            return
        }
        if isStrong(keyspace) {
            _ = try await conditionalPut(
                keyspace: keyspace, key: key, value: nil, contentType: "", ttlMs: nil, condition: .none, fence: nil,
                consistency: consistency)
            return
        }
        let consistency = effectiveConsistency(keyspace, consistency)
        guard try await get(keyspace: keyspace, key: key, consistency: consistency) != nil else {
            throw TesseraError(.notFound, "key \(key) does not exist")
        }
        let version = engine.newVersion()
        _ = try await replicate(
            ReplicaRecord(keyspace: keyspace, key: key, version: version, item: nil), placement: placement,
            consistency: consistency)
    }

    /// Sends one record to every replica of its placement and waits for enough acknowledgements. Replicas
    /// judged down, and those that fail to answer, get the record as a hint.
    func replicate(
        _ record: ReplicaRecord, placement: PartitionPlacement, consistency: ReadWriteConsistency,
        alreadyAcknowledged: Set<String> = []
    ) async throws(TesseraError) -> [ReplicaApplyResult] {
        let required = consistency.required(of: placement.read.count) + placement.pending.count
        let now = nowMs
        let alive = placement.write.filter { membership.isAlive($0, nowMs: now) }
        guard alive.count >= required else {
            counters.withLock { $0.unavailable += 1 }
            throw TesseraError(
                .unavailable,
                "\(consistency.rawValue) needs \(required) of the replicas \(placement.write.joined(separator: ", ")); "
                    + "\(alive.count) reachable")
        }
        for target in placement.write where !alive.contains(target) {
            hints.add(record, for: target)
            counters.withLock { $0.hintsStored += 1 }
        }
        let targets = alive.filter { !alreadyAcknowledged.contains($0) }
        let needed = max(0, required - alreadyAcknowledged.count)
        let stream = AsyncStream<(String, ReplicaApplyResult?)> { continuation in
            let group = Task {
                await withTaskGroup(of: Void.self) { group in
                    for target in targets {
                        group.addTask {
                            let result = await self.applyOn(target, [record])?.first
                            if result == nil {
                                self.hints.add(record, for: target)
                                self.counters.withLock { $0.hintsStored += 1 }
                            }
                            continuation.yield((target, result))
                        }
                    }
                }
                continuation.finish()
            }
            _ = group
        }
        var results: [ReplicaApplyResult] = []
        var failed: [String] = []
        if needed > 0 {
            for await (target, result) in stream {
                if let result { results.append(result) } else { failed.append(target) }
                if results.count >= needed { break }
            }
        }
        guard results.count >= needed else {
            counters.withLock { $0.unavailable += 1 }
            throw TesseraError(
                .unavailable,
                "\(consistency.rawValue) needs \(required) acknowledgements; replicas \(failed.joined(separator: ", ")) "
                    + "did not answer (the write may have reached some replicas and will be repaired)")
        }
        return results
    }

    // MARK: reads

    /// Reads a key at the given consistency: asks the live replicas, answers with the newest version once R
    /// answered, and repairs the replicas that answered with an older one.
    public func get(keyspace: String, key: String, consistency: ReadWriteConsistency) async throws(TesseraError)
        -> StoredItem?
    {
        if soloFastPath(keyspace) { return try await engine.get(keyspace: keyspace, key: key) }
        try checkKeyspace(keyspace)
        let consistency = effectiveConsistency(keyspace, consistency)
        let placement = try placement(keyspace: keyspace, key: key)
        if isLocalOnly(placement) { return try await engine.get(keyspace: keyspace, key: key) }
        let record = try await readNewest(keyspace: keyspace, key: key, placement: placement, consistency: consistency)
        guard let item = record?.item, !item.isExpired(nowMs: nowMs) else { return nil }
        return item
    }

    func readNewest(
        keyspace: String, key: String, placement: PartitionPlacement, consistency: ReadWriteConsistency
    ) async throws(TesseraError) -> ReplicaRecord? {
        let required = consistency.required(of: placement.read.count)
        let now = nowMs
        let alive = placement.read.filter { membership.isAlive($0, nowMs: now) }
        guard alive.count >= required else {
            counters.withLock { $0.unavailable += 1 }
            throw TesseraError(
                .unavailable,
                "\(consistency.rawValue) read needs \(required) of the replicas "
                    + "\(placement.read.joined(separator: ", ")); \(alive.count) reachable")
        }
        // Ask the closest replicas first: this node, then the others in ring order.
        let ordered = alive.sorted { ($0 == nodeID ? 0 : 1) < ($1 == nodeID ? 0 : 1) }
        if consistency == .one {
            // One answer is enough: ask one replica at a time, the next only when one fails.
            for target in ordered {
                if case .success(let record) = await readOn(target, keyspace, key) { return record }
            }
            counters.withLock { $0.unavailable += 1 }
            throw TesseraError(.unavailable, "no replica of \(key) answered")
        }
        // Ask exactly R replicas (this node first); ask the next one only when one fails. With R + W > N the
        // answers include every acknowledged write; the replicas not asked are anti-entropy's to repair.
        let answers = await withTaskGroup(of: (String, Result<ReplicaRecord?, TesseraError>).self) { group in
            var next = 0
            while next < min(required, ordered.count) {
                let target = ordered[next]
                next += 1
                group.addTask { (target, await self.readOn(target, keyspace, key)) }
            }
            var answers: [(String, ReplicaRecord?)] = []
            for await (target, result) in group {
                switch result {
                case .success(let record): answers.append((target, record))
                case .failure:
                    if next < ordered.count {
                        let target = ordered[next]
                        next += 1
                        group.addTask { (target, await self.readOn(target, keyspace, key)) }
                    }
                }
                if answers.count >= required { break }
            }
            return answers
        }
        guard answers.count >= required else {
            counters.withLock { $0.unavailable += 1 }
            throw TesseraError(
                .unavailable,
                "\(consistency.rawValue) read needs \(required) answers; \(answers.count) replicas answered")
        }
        let newest = answers.compactMap(\.1).max { $0.version < $1.version }
        // Read repair, in the background: the replicas that answered with an older version get the newest.
        if let newest {
            let stale = answers.filter { $0.1.map { $0.version < newest.version } ?? true }.map(\.0)
            if !stale.isEmpty {
                Task {
                    for target in stale where await self.send([newest], to: target) {
                        self.counters.withLock { $0.readRepairs += 1 }
                    }
                }
            }
        }
        return newest
    }

    func readOn(_ target: String, _ keyspace: String, _ key: String) async -> Result<ReplicaRecord?, TesseraError> {
        if target == nodeID {
            do { return .success(try await engine.readReplica(keyspace: keyspace, key: key)) } catch {
                return .failure(error)
            }
        }
        var request = Tessera_Peer_V1_ReadRequest()
        request.keyspace = keyspace
        request.key = key
        guard let response = await batcher.read.call([request], on: target)?.first else {
            return .failure(TesseraError(.unavailable, "\(target) did not answer the read"))
        }
        return .success(response.found ? ReplicaRecord(response.item) : nil)
    }

    /// One `ReadMany` call to a peer (the read batcher's way out).
    func sendReads(_ target: String, _ reads: [Tessera_Peer_V1_ReadRequest]) async -> [Tessera_Peer_V1_ReadResponse]? {
        guard let member = membership.record(target) else { return nil }
        do {
            let client = try peers.client(member.peerAddress)
            var request = Tessera_Peer_V1_ReadManyRequest()
            request.reads = reads
            let response = try await client.readMany(
                request, options: callOptions(timeoutMs: config.replicaTimeoutMs))
            membership.heartbeat(from: target, nowMs: nowMs)
            guard response.answers.count == reads.count else { return nil }
            return response.answers
        } catch {
            return nil
        }
    }
}
