import TesseraCore

/// One version of one key as replicas exchange it: a value, or a tombstone when `item` is nil.
public struct ReplicaRecord: Sendable, Equatable {
    /// The keyspace.
    public var keyspace: String
    /// The key.
    public var key: String
    /// The version (of the value, or of the delete).
    public var version: Version
    /// The value, or nil for a tombstone.
    public var item: StoredItem?

    /// Creates a record.
    public init(keyspace: String, key: String, version: Version, item: StoredItem?) {
        self.keyspace = keyspace
        self.key = key
        self.version = version
        self.item = item
    }

    /// Whether the record is a tombstone.
    public var isTombstone: Bool { item == nil }
}

/// What a replica did with one record.
public struct ReplicaApplyResult: Sendable, Equatable {
    /// The record was newer than what the replica held, and is now stored.
    public var applied: Bool
    /// The replica held a live value of the key before.
    public var hadLive: Bool

    /// Creates a result.
    public init(applied: Bool, hadLive: Bool) {
        self.applied = applied
        self.hadLive = hadLive
    }
}

extension StorageEngine {
    /// The node's next version: a hybrid timestamp above everything it has issued or seen.
    public func newVersion() -> Version { nextVersion() }

    /// Stores each record unless the replica already holds a version at least as new (last writer wins by
    /// hybrid timestamp, node breaking ties). Acknowledged once durable.
    public func applyReplica(_ records: [ReplicaRecord]) async throws(TesseraError) -> [ReplicaApplyResult] {
        var results: [ReplicaApplyResult] = []
        results.reserveCapacity(records.count)
        var newest: UInt64 = 0
        let now = wallClock()
        for record in records {
            clock.withLock { $0.observe(record.version.timestamp) }
            let store = try store(record.keyspace)
            let itemKey = ItemKey(record.key)
            let partition = store.partitions[partitioner.partition(of: record.key)]
            let result = try partition.state.withLock { state throws(TesseraError) -> ReplicaApplyResult in
                try checkLive(state, record.keyspace)
                let hadLive = state.get(itemKey, nowMs: now) != nil
                if let current = state.newestVersion(of: itemKey), current >= record.version {
                    // What the replica holds may itself still be on its way to disk.
                    newest = max(newest, state.lastLSN)
                    return ReplicaApplyResult(applied: false, hadLive: hadLive)
                }
                let observer = currentObserver
                if let item = record.item {
                    let lsn = try log([.put(keyspace: record.keyspace, key: record.key, item: item)])
                    state.put(itemKey, item)
                    state.lastLSN = lsn
                    newest = max(newest, lsn)
                    observer?.apply(keyspace: record.keyspace, key: record.key, item: item)
                } else {
                    let lsn = try log([
                        .delete(keyspace: record.keyspace, key: record.key, reason: .delete, version: record.version)
                    ])
                    state.markDeleted(itemKey, version: record.version)
                    state.lastLSN = lsn
                    newest = max(newest, lsn)
                    if hadLive || state.items[itemKey] == nil {
                        observer?.apply(keyspace: record.keyspace, key: record.key, item: nil)
                    }
                }
                return ReplicaApplyResult(applied: true, hadLive: hadLive)
            }
            results.append(result)
        }
        if newest > 0 { try await awaitDurable(newest) }
        return results
    }

    /// The newest version of `key` this replica holds: its value (expired values included, so that the caller
    /// compares versions) or its tombstone; nil when it holds neither. Answers from durable state.
    public func readReplica(keyspace: String, key: String) async throws(TesseraError) -> ReplicaRecord? {
        let store = try store(keyspace)
        let itemKey = ItemKey(key)
        let (record, lsn) = store.partitions[partitioner.partition(of: key)].state.withLock {
            state -> (ReplicaRecord?, UInt64) in
            if let item = state.items[itemKey] {
                if let tombstone = state.tombstone(of: itemKey), tombstone > item.version {
                    return (ReplicaRecord(keyspace: keyspace, key: key, version: tombstone, item: nil), state.lastLSN)
                }
                return (ReplicaRecord(keyspace: keyspace, key: key, version: item.version, item: item), state.lastLSN)
            }
            if let tombstone = state.tombstone(of: itemKey) {
                return (ReplicaRecord(keyspace: keyspace, key: key, version: tombstone, item: nil), state.lastLSN)
            }
            return (nil, state.lastLSN)
        }
        try await awaitDurable(lsn)
        return record
    }

    /// Up to `limit` records of the given partitions with keys in `[lower, upper)` starting with `prefix`, in
    /// byte order of keys, tombstones included (so that a coordinator merging replicas sees deletes).
    public func scanReplica(
        keyspace: String, partitions: [Int], prefix: String, lower: String, upper: String?, limit: Int
    ) async throws(TesseraError) -> [ReplicaRecord] {
        let store = try store(keyspace)
        let lowerKey = ItemKey(lower)
        let upperKey = upper.map(ItemKey.init)
        let now = wallClock()
        var merged: [(ItemKey, ReplicaRecord)] = []
        var newest: UInt64 = 0
        for index in partitions where index >= 0 && index < store.partitions.count {
            let part = store.partitions[index].state.withLock { state -> [(ItemKey, ReplicaRecord)] in
                newest = max(newest, state.lastLSN)
                var out = state.scan(from: lowerKey, below: upperKey, prefix: prefix, limit: limit, nowMs: now).map {
                    ($0.0, ReplicaRecord(keyspace: keyspace, key: $0.0.string, version: $0.1.version, item: $0.1))
                }
                for (key, version) in state.tombstones
                where key >= lowerKey && (upperKey.map { key < $0 } ?? true) && key.hasPrefix(prefix) {
                    out.append((key, ReplicaRecord(keyspace: keyspace, key: key.string, version: version, item: nil)))
                }
                return out
            }
            merged.append(contentsOf: part)
        }
        try await awaitDurable(newest)
        merged.sort { $0.0 < $1.0 }
        // Tombstones do not count toward the limit of live items, but they are bounded too.
        var out: [ReplicaRecord] = []
        var live = 0
        for (_, record) in merged {
            if live >= limit { break }
            out.append(record)
            if !record.isTombstone { live += 1 }
        }
        return out
    }

    /// Every record (values, expired or not, and tombstones) of one partition of one keyspace.
    public func partitionRecords(keyspace: String, partition: Int) throws(TesseraError) -> [ReplicaRecord] {
        let store = try store(keyspace)
        guard partition >= 0, partition < store.partitions.count else { return [] }
        return store.partitions[partition].state.withLock { state in
            var out: [ReplicaRecord] = []
            out.reserveCapacity(state.items.count + state.tombstones.count)
            for (key, item) in state.items {
                if let tombstone = state.tombstone(of: key), tombstone > item.version { continue }
                out.append(ReplicaRecord(keyspace: keyspace, key: key.string, version: item.version, item: item))
            }
            for (key, version) in state.tombstones where state.items[key] == nil {
                out.append(ReplicaRecord(keyspace: keyspace, key: key.string, version: version, item: nil))
            }
            return out
        }
    }

    /// Empties one partition of a keyspace once its data lives on its new owners; returns the items removed.
    /// Not logged and not a change event: a restart replays the partition's old writes, which is harmless (the
    /// node no longer serves it) and undone by the next call; the next snapshot makes it permanent.
    @discardableResult
    public func releasePartition(keyspace: String, partition: Int) -> Int {
        guard let store = registry[keyspace], partition >= 0, partition < store.partitions.count else { return 0 }
        let observer = currentObserver
        let keys = store.partitions[partition].state.withLock { $0.clear() }
        for key in keys { observer?.apply(keyspace: keyspace, key: key.string, item: nil) }
        return keys.count
    }

    /// Items and tombstones held in one partition of a keyspace.
    public func recordCount(keyspace: String, partition: Int) -> Int {
        guard let store = registry[keyspace], partition >= 0, partition < store.partitions.count else { return 0 }
        return store.partitions[partition].state.withLock { $0.count + $0.tombstones.count }
    }

    /// The names of the keyspaces this node holds.
    public var keyspaceNames: [String] { registry.all.map(\.name) }
}
