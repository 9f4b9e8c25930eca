import Logging
import TesseraCore

/// Rebuilds a node's state at start: the newest snapshot, then the valid prefix of the log after it. A torn
/// or corrupt tail of the last segment is cut off (it was never acknowledged); damage before the last segment
/// stops the node, because acknowledged writes would be missing.
enum Recovery {
    struct Result {
        var nextLSN: UInt64
        var clockHighWater: UInt64
        var lockTable: LockTable
    }

    static func run(directory: String, registry: KeyspaceRegistry, logger: Logger) throws -> Result {
        let files = FileIO.list(directory)
        var lockTable = LockTable()
        var replayFrom: UInt64 = 1
        var lastLSN: UInt64 = 0
        var highWater: UInt64 = 0

        let snapshots = files.filter { $0.hasPrefix("snapshot-") && $0.hasSuffix(".snap") }.sorted()
        if let newest = snapshots.last {
            let (header, mutations) = try Snapshot.decode(try FileIO.readAll(directory + "/" + newest))
            replayFrom = header.replayFromLSN
            lastLSN = header.lastLSN
            highWater = header.clockHighWater
            for mutation in mutations {
                apply(mutation, registry: registry, locks: &lockTable, highWater: &highWater, horizon: replayFrom - 1)
            }
            logger.info("loaded snapshot \(newest): \(mutations.count) records, replaying from LSN \(replayFrom)")
        }

        let segments = files.filter { $0.hasPrefix("log-") && $0.hasSuffix(".seg") }.sorted()
        var replayed = 0
        for (index, name) in segments.enumerated() {
            let path = directory + "/" + name
            let bytes = try FileIO.readAll(path)
            let (frames, valid) = LogFrame.decodePrefix(bytes)
            for frame in frames {
                var committed: WriteAheadLog.Committed = []
                for (i, mutation) in frame.mutations.enumerated() {
                    let lsn = frame.firstLSN + UInt64(i)
                    guard lsn >= replayFrom else { continue }
                    apply(
                        mutation, registry: registry, locks: &lockTable, highWater: &highWater, horizon: replayFrom - 1)
                    committed.append((lsn, mutation))
                    lastLSN = max(lastLSN, lsn)
                    replayed += 1
                }
                registry.publish(committed)
            }
            if valid < bytes.count {
                if index == segments.count - 1 {
                    logger.warning("discarding a torn tail of \(bytes.count - valid) bytes at the end of \(name)")
                    try FileIO.truncate(path, to: valid)
                } else {
                    throw StorageError("log segment \(name) is corrupt at byte \(valid) and later segments exist")
                }
            }
        }
        if replayed > 0 { logger.info("replayed \(replayed) log records; last LSN \(lastLSN)") }
        return Result(nextLSN: max(lastLSN, replayFrom - 1) + 1, clockHighWater: highWater, lockTable: lockTable)
    }

    static func apply(
        _ mutation: Mutation, registry: KeyspaceRegistry, locks: inout LockTable, highWater: inout UInt64,
        horizon: UInt64
    ) {
        switch mutation {
        case .put(let keyspace, let key, let item):
            highWater = max(highWater, item.version.timestamp.rawValue)
            guard let store = registry[keyspace] else { return }
            let partition = Partitioner(count: registry.partitionCount).partition(of: key)
            store.partitions[partition].state.withLock { _ = $0.put(ItemKey(key), item) }
        case .delete(let keyspace, let key, let reason, let version):
            highWater = max(highWater, version.timestamp.rawValue)
            guard let store = registry[keyspace] else { return }
            let partition = Partitioner(count: registry.partitionCount).partition(of: key)
            store.partitions[partition].state.withLock { state in
                // An expiry leaves a tombstone with the item's own version; one logged by an older version of
                // Tessera carries a fresh version instead, which must not hide newer writes: it only removes.
                if reason == .delete || state.items[ItemKey(key)]?.version == version {
                    state.markDeleted(ItemKey(key), version: version)
                } else {
                    state.remove(ItemKey(key))
                }
            }
        case .keyspacePut(let config):
            registry.upsert(config, horizon: horizon)
        case .keyspaceDrop(let name):
            _ = registry.drop(name)
        case .lockGrant, .lockFree:
            locks.apply(mutation)
        case .feedHorizon(let keyspace, let lsn):
            registry[keyspace]?.feed.restoreHorizon(lsn)
        case .retainedChange(let keyspace, let event):
            registry[keyspace]?.feed.restore(event)
        }
    }
}
