import TesseraCore

/// A precondition on a write.
public enum WriteCondition: Sendable, Equatable {
    /// No precondition.
    case none
    /// The item must exist with this version (`If-Match`).
    case ifMatch(String)
    /// The item must not exist (`If-None-Match: *`).
    case ifAbsent
}

/// A `Tessera-Fence` header: the lock and the token the writer holds.
public struct Fence: Sendable, Equatable {
    /// The lock's name.
    public var lock: String
    /// The token granted to the writer.
    public var token: UInt64

    /// Creates a fence.
    public init(lock: String, token: UInt64) {
        self.lock = lock
        self.token = token
    }
}

/// The outcome of a put.
public struct PutResult: Sendable {
    /// Whether the key did not exist before.
    public var created: Bool
    /// The new version.
    public var version: Version

    /// Creates a result.
    public init(created: Bool, version: Version) {
        self.created = created
        self.version = version
    }
}

/// A page of a scan.
public struct ScanPage: Sendable {
    /// The items, in byte order of keys.
    public var items: [(key: String, item: StoredItem)]
    /// The key to continue after, when more may follow.
    public var nextAfter: String?
    /// How many partitions were read.
    public var fanout: Int

    /// Creates a page.
    public init(items: [(key: String, item: StoredItem)], nextAfter: String?, fanout: Int) {
        self.items = items
        self.nextAfter = nextAfter
        self.fanout = fanout
    }
}

extension StorageEngine {
    /// The live item at `key`, once every write it may reflect is durable.
    public func get(keyspace: String, key: String) async throws(TesseraError) -> StoredItem? {
        let store = try store(keyspace)
        let now = wallClock()
        let (item, lsn) = store.partitions[partitioner.partition(of: key)].state.withLock {
            ($0.get(ItemKey(key), nowMs: now), $0.lastLSN)
        }
        try await awaitDurable(lsn)
        return item
    }

    /// Stores a value; acknowledged once durable.
    public func put(
        keyspace: String, key: String, value: [UInt8], contentType: String, ttlMs: Int64? = nil,
        condition: WriteCondition = .none, fence: Fence? = nil
    ) async throws(TesseraError) -> PutResult {
        let store = try store(keyspace)
        let itemKey = ItemKey(key)
        let (result, lsn) = try store.partitions[partitioner.partition(of: key)].state.withLock {
            state throws(TesseraError) -> (PutResult, UInt64) in
            try checkLive(state, keyspace)
            let now = wallClock()
            let current = state.get(itemKey, nowMs: now)
            try check(condition, current: current)
            if let fence {
                try locks.withLock { state throws(TesseraError) in
                    try state.table.checkFence(name: fence.lock, token: fence.token)
                }
            }
            let version = nextVersion()
            let item = StoredItem(
                value: value, contentType: contentType, version: version,
                expiresAtMs: ttlMs.map { now + max(1, $0) } ?? 0)
            let observer = currentObserver
            try observer?.validate(keyspace: keyspace, key: key, item: item)
            let lsn = try log([.put(keyspace: keyspace, key: key, item: item)])
            state.put(itemKey, item)
            state.lastLSN = lsn
            observer?.apply(keyspace: keyspace, key: key, item: item)
            return (PutResult(created: current == nil, version: version), lsn)
        }
        try await awaitDurable(lsn)
        return result
    }

    /// Deletes a key; throws `not_found` when absent. Acknowledged once durable.
    public func delete(keyspace: String, key: String, condition: WriteCondition = .none, fence: Fence? = nil)
        async throws(TesseraError)
    {
        let store = try store(keyspace)
        let itemKey = ItemKey(key)
        let lsn = try store.partitions[partitioner.partition(of: key)].state.withLock {
            state throws(TesseraError) -> UInt64 in
            try checkLive(state, keyspace)
            let current = state.get(itemKey, nowMs: wallClock())
            try check(condition, current: current)
            guard current != nil else { throw TesseraError(.notFound, "key \(key) does not exist") }
            if let fence {
                try locks.withLock { state throws(TesseraError) in
                    try state.table.checkFence(name: fence.lock, token: fence.token)
                }
            }
            let version = nextVersion()
            let lsn = try log([.delete(keyspace: keyspace, key: key, reason: .delete, version: version)])
            state.markDeleted(itemKey, version: version)
            state.lastLSN = lsn
            currentObserver?.apply(keyspace: keyspace, key: key, item: nil)
            return lsn
        }
        try await awaitDurable(lsn)
    }

    func checkLive(_ state: PartitionState, _ keyspace: String) throws(TesseraError) {
        if state.dropped { throw TesseraError(.keyspaceNotFound, "keyspace \(keyspace) does not exist") }
    }

    private func check(_ condition: WriteCondition, current: StoredItem?) throws(TesseraError) {
        switch condition {
        case .none:
            return
        case .ifAbsent:
            if let current {
                throw TesseraError(
                    .preconditionFailed, "the key already exists",
                    details: ["version": .string(current.version.description)])
            }
        case .ifMatch(let expected):
            guard let current else { throw TesseraError(.preconditionFailed, "the key does not exist") }
            if current.version.description != expected {
                throw TesseraError(
                    .preconditionFailed, "the key's version is \(current.version), not \(expected)",
                    details: ["version": .string(current.version.description)])
            }
        }
    }

    /// Scans keys in byte order: `[start, end)`, starting with `prefix`, strictly after `after`, at most
    /// `limit` items. A prefix that begins with a hash tag reads exactly one partition; others read them all.
    public func scan(
        keyspace: String, prefix: String = "", start: String? = nil, end: String? = nil, after: String? = nil,
        limit: Int
    ) async throws(TesseraError) -> ScanPage {
        let store = try store(keyspace)
        var lower = ItemKey(prefix)
        if let start, ItemKey(start) > lower { lower = ItemKey(start) }
        if let after, ItemKey(after + "\u{0}") > lower { lower = ItemKey(after + "\u{0}") }
        let upper = end.map(ItemKey.init)
        let partitions: [Int] = partitioner.partition(ofPrefix: prefix).map { [$0] } ?? Array(0..<partitioner.count)
        let now = wallClock()
        var merged: [(ItemKey, StoredItem)] = []
        var newest: UInt64 = 0
        for index in partitions {
            let part = store.partitions[index].state.withLock { state in
                newest = max(newest, state.lastLSN)
                return state.scan(from: lower, below: upper, prefix: prefix, limit: limit + 1, nowMs: now)
            }
            merged.append(contentsOf: part)
        }
        try await awaitDurable(newest)
        merged.sort { $0.0 < $1.0 }
        let more = merged.count > limit
        if more { merged.removeSubrange(limit...) }
        return ScanPage(
            items: merged.map { ($0.0.string, $0.1) }, nextAfter: more ? merged.last?.0.string : nil,
            fanout: partitions.count)
    }

    /// Number of stored keys per keyspace.
    public func keyCounts() -> [String: Int] {
        Dictionary(uniqueKeysWithValues: registry.all.map { ($0.name, $0.itemCount) })
    }

    /// Bytes of keys and values held in memory.
    public var memoryBytes: Int { registry.all.reduce(0) { $0 + $1.bytes } }
}
