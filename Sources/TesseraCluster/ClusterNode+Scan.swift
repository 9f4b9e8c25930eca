import GRPCCore
import TesseraCore
import TesseraStorage

extension ClusterNode {
    /// Scans in byte order of keys across the partitions the prefix may touch: one partition for a prefix that
    /// begins with a hash tag, else all of them, read in parallel from R replicas each (grouped by node) under
    /// a deadline, merged newest-version-first.
    public func scan(
        keyspace: String, prefix: String, start: String?, end: String?, after: String?, limit: Int,
        consistency: ReadWriteConsistency
    ) async throws(TesseraError) -> ScanPage {
        try checkKeyspace(keyspace)
        let consistency = effectiveConsistency(keyspace, consistency)
        let partitions =
            engine.partitioner.partition(ofPrefix: prefix).map { [$0] } ?? Array(0..<engine.partitioner.count)
        let placements = fanoutPlacements(
            keyspace: keyspace, partitions: partitions, region: HashTag.leadingTag(of: prefix).map(String.init))
        if placements.allSatisfy(isLocalOnly) {
            return try await engine.scan(
                keyspace: keyspace, prefix: prefix, start: start, end: end, after: after, limit: limit)
        }
        var lower = prefix
        if let start, start.utf8.lexicographicallyPrecedes(lower.utf8) == false { lower = start }
        if let after {
            let next = after + "\u{0}"
            if ItemKey(next) > ItemKey(lower) { lower = next }
        }
        // Choose R live replicas per partition, this node first, and group the partitions by node.
        let now = nowMs
        var byNode: [String: [Int]] = [:]
        for placement in placements {
            let required = consistency.required(of: placement.read.count)
            let alive = placement.read.filter { membership.isAlive($0, nowMs: now) }.sorted {
                ($0 == nodeID ? 0 : 1) < ($1 == nodeID ? 0 : 1)
            }
            guard alive.count >= required else {
                throw TesseraError(
                    .unavailable,
                    "partition \(placement.partition) has \(alive.count) reachable replicas; "
                        + "\(consistency.rawValue) needs \(required)")
            }
            for node in alive.prefix(required) { byNode[node, default: []].append(placement.partition) }
        }
        let groups = byNode
        let from = lower
        let answers = try await withFanoutDeadline { () async throws(TesseraError) in
            try await self.scanNodes(
                groups, keyspace: keyspace, prefix: prefix, lower: from, upper: end, limit: limit + 1)
        }
        var newest: [String: ReplicaRecord] = [:]
        var cutoff: ItemKey?
        for records in answers {
            if records.filter({ !$0.isTombstone }).count > limit, let last = records.last {
                let key = ItemKey(last.key)
                if cutoff.map({ key < $0 }) ?? true { cutoff = key }
            }
            for record in records {
                if let current = newest[record.key], current.version >= record.version { continue }
                newest[record.key] = record
            }
        }
        var live = newest.values.filter { record in
            guard let item = record.item, !item.isExpired(nowMs: now) else { return false }
            return cutoff.map { !(ItemKey(record.key) > $0) } ?? true
        }
        live.sort { ItemKey($0.key) < ItemKey($1.key) }
        var next: String? = cutoff?.string
        if live.count > limit {
            live.removeSubrange(limit...)
            next = live.last?.key
        }
        return ScanPage(
            items: live.compactMap { record in record.item.map { (record.key, $0) } }, nextAfter: next,
            fanout: partitions.count)
    }

    private func scanNodes(
        _ byNode: [String: [Int]], keyspace: String, prefix: String, lower: String, upper: String?, limit: Int
    ) async throws(TesseraError) -> [[ReplicaRecord]] {
        let results = await withTaskGroup(of: Result<[ReplicaRecord], TesseraError>.self) { group in
            for (node, partitions) in byNode {
                group.addTask {
                    await self.scanOn(
                        node, keyspace: keyspace, partitions: partitions, prefix: prefix, lower: lower, upper: upper,
                        limit: limit)
                }
            }
            var all: [Result<[ReplicaRecord], TesseraError>] = []
            for await result in group { all.append(result) }
            return all
        }
        var out: [[ReplicaRecord]] = []
        for result in results {
            switch result {
            case .success(let records): out.append(records)
            case .failure(let error): throw error
            }
        }
        return out
    }

    private func scanOn(
        _ node: String, keyspace: String, partitions: [Int], prefix: String, lower: String, upper: String?,
        limit: Int
    ) async -> Result<[ReplicaRecord], TesseraError> {
        if node == nodeID {
            do {
                return .success(
                    try await engine.scanReplica(
                        keyspace: keyspace, partitions: partitions, prefix: prefix, lower: lower, upper: upper,
                        limit: limit))
            } catch { return .failure(error) }
        }
        guard let member = membership.record(node) else { return .failure(.init(.unavailable, "unknown node")) }
        do {
            let client = try peers.client(member.peerAddress)
            var request = Tessera_Peer_V1_ScanRequest()
            request.keyspace = keyspace
            request.partitions = partitions.map { UInt32($0) }
            request.prefix = prefix
            request.lower = lower
            if let upper {
                request.hasUpper_p = true
                request.upper = upper
            }
            request.limit = UInt32(clamping: limit)
            let response = try await client.scan(request, options: callOptions(timeoutMs: config.fanoutTimeoutMs))
            return .success(response.items.map(ReplicaRecord.init))
        } catch let error as RPCError where error.code == .deadlineExceeded {
            return .failure(TesseraError(.timeout, "node \(node) did not answer the scan within the deadline"))
        } catch {
            return .failure(TesseraError(.unavailable, "node \(node) failed the scan: \(error)"))
        }
    }

    /// Runs a fan-out under the scan deadline.
    public func withFanoutDeadline<T: Sendable>(_ body: @escaping @Sendable () async throws(TesseraError) -> T)
        async throws(TesseraError) -> T
    {
        let timeoutMs = config.fanoutTimeoutMs
        let result = await withTaskGroup(of: Result<T, TesseraError>?.self) { group in
            group.addTask {
                do throws(TesseraError) { return .success(try await body()) } catch { return .failure(error) }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(timeoutMs))
                return Task.isCancelled ? nil : .failure(TesseraError(.timeout, "fan-out exceeded \(timeoutMs) ms"))
            }
            var outcome: Result<T, TesseraError>?
            for await value in group {
                if let value {
                    outcome = value
                    break
                }
            }
            group.cancelAll()
            return outcome
        }
        guard let result else { throw TesseraError(.timeout, "fan-out was cancelled") }
        switch result {
        case .success(let value): return value
        case .failure(let error): throw error
        }
    }
}
