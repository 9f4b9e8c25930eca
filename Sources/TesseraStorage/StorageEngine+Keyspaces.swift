import TesseraCore

extension StorageEngine {
    /// Creates or updates a keyspace; returns whether it was created. Durable when it returns.
    @discardableResult
    public func putKeyspace(_ config: KeyspaceConfig) async throws(TesseraError) -> Bool {
        let (created, lsn) = try registry.map.withLock { map throws(TesseraError) -> (Bool, UInt64) in
            var config = config
            if let existing = map[config.name] {
                config.createdAtMs = existing.config.withLock { $0.createdAtMs }
            } else {
                config.createdAtMs = wallClock()
            }
            let lsn = try log([.keyspacePut(config)])
            if let existing = map[config.name] {
                existing.config.withLock { $0 = config }
                existing.feed.setRetention(seconds: config.changeRetentionSeconds)
                return (false, lsn)
            }
            let store = KeyspaceStore(
                config: config, partitionCount: registry.partitionCount, horizon: lsn, eventsMax: registry.eventsMax)
            map[config.name] = store
            return (true, lsn)
        }
        try await awaitDurable(lsn)
        return created
    }

    /// The settings of a keyspace.
    public func keyspace(_ name: String) -> KeyspaceConfig? {
        registry[name]?.config.withLock { $0 }
    }

    /// Every keyspace, by name.
    public func keyspaces() -> [KeyspaceConfig] {
        registry.all.map { $0.config.withLock { $0 } }.sorted { $0.name < $1.name }
    }

    /// Number of items (including expired ones not yet reaped) in a keyspace.
    public func itemCount(keyspace: String) throws(TesseraError) -> Int {
        try store(keyspace).itemCount
    }

    /// Drops a keyspace and its items. The `default` keyspace cannot be dropped.
    public func dropKeyspace(_ name: String) async throws(TesseraError) {
        guard name != StorageEngine.defaultKeyspace else {
            throw .badRequest("the default keyspace always exists and cannot be dropped")
        }
        let lsn = try registry.map.withLock { map throws(TesseraError) -> UInt64 in
            guard let store = map[name] else {
                throw TesseraError(.keyspaceNotFound, "keyspace \(name) does not exist")
            }
            // Writes check this flag under their partition's lock, so none is logged after the drop.
            for partition in store.partitions { partition.state.withLock { $0.dropped = true } }
            let lsn = try log([.keyspaceDrop(name: name)])
            map.removeValue(forKey: name)
            return lsn
        }
        try await awaitDurable(lsn)
    }

    /// The change feed of a keyspace.
    public func changeFeed(keyspace: String) throws(TesseraError) -> ChangeFeed {
        try store(keyspace).feed
    }
}
