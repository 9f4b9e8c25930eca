import Foundation
import TesseraCore

extension StorageEngine {
    /// Runs background work until cancelled: TTL expiry, lock expiry, change-feed trimming and snapshots.
    public func runMaintenance(tickMs: Int = 20) async {
        var ticks = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(tickMs))
            expireItems()
            expireLocks()
            ticks += 1
            if ticks % max(1, 1000 / tickMs) == 0 {
                let now = wallClock()
                for store in registry.all { store.feed.trim(nowMs: now) }
                purgeTombstones(nowMs: now)
                if wal.bytesSinceLastRotation >= options.snapshotLogBytes { startSnapshot() }
            }
        }
    }

    /// Removes expired items, logging an `expire` change for each.
    public func expireItems() {
        let now = wallClock()
        for store in registry.all {
            let keyspace = store.name
            for partition in store.partitions {
                partition.state.withLock { state in
                    guard !state.dropped else { return }
                    for key in state.popExpired(nowMs: now, limit: 10_000) {
                        // The tombstone carries the expired item's own version: a replica that missed that
                        // version cannot bring an older value back, and a newer write still wins.
                        let version = state.items[key]?.version ?? nextVersion()
                        let mutation = Mutation.delete(
                            keyspace: keyspace, key: key.string, reason: .expire, version: version)
                        guard let lsn = try? log([mutation]) else { return }
                        state.markDeleted(key, version: version)
                        state.lastLSN = lsn
                        currentObserver?.apply(keyspace: keyspace, key: key.string, item: nil)
                    }
                }
            }
        }
    }

    /// Forgets tombstones older than the grace period. A replica that was away longer than that can bring a
    /// deleted value back (as in Cassandra): the grace period must exceed the longest outage repaired by
    /// hinted handoff or anti-entropy.
    public func purgeTombstones(nowMs: Int64) {
        let cutoff = nowMs - options.tombstoneGraceMs
        for store in registry.all {
            for partition in store.partitions { _ = partition.state.withLock { $0.purgeTombstones(before: cutoff) } }
        }
    }

    private func startSnapshot() {
        let claimed = snapshotting.withLock { busy -> Bool in
            if busy { return false }
            busy = true
            return true
        }
        guard claimed else { return }
        let thread = Thread { [self] in
            do { try takeSnapshot() } catch { logger.error("snapshot failed: \(error)") }
        }
        thread.name = "tessera-snapshot"
        thread.start()
    }

    /// Writes a snapshot of the whole state and removes the log segments it covers.
    public func takeSnapshot() throws {
        defer { snapshotting.withLock { $0 = false } }
        let replayFrom = try wal.rotate()
        var mutations: [Mutation] = []
        for store in registry.all {
            let config = store.config.withLock { $0 }
            mutations.append(.keyspacePut(config))
            for partition in store.partitions {
                let (items, tombstones) = partition.state.withLock { ($0.items, $0.tombstones) }
                for (key, item) in items {
                    mutations.append(.put(keyspace: config.name, key: key.string, item: item))
                }
                for (key, version) in tombstones {
                    mutations.append(.delete(keyspace: config.name, key: key.string, reason: .delete, version: version))
                }
            }
            // The change history before the rotation (later events are replayed from the log).
            let (horizon, events) = store.feed.retained(below: replayFrom)
            mutations.append(.feedHorizon(keyspace: config.name, lsn: horizon))
            for event in events { mutations.append(.retainedChange(keyspace: config.name, event: event)) }
        }
        locks.withLock { state in
            for (name, entry) in state.table.entries {
                mutations.append(.lockFree(name: name, lastToken: entry.lastToken))
                if let holder = entry.holder { mutations.append(.lockGrant(name: name, lease: holder)) }
            }
        }
        let header = Snapshot.Header(
            replayFromLSN: replayFrom, lastLSN: wal.peekNextLSN - 1,
            clockHighWater: clock.withLock { $0.last.rawValue }, frameCount: 0)
        let directory = options.directory
        let name = Snapshot.fileName(replayFrom: replayFrom)
        try FileIO.writeAtomically(
            Snapshot.encode(header: header, mutations: mutations), to: directory + "/" + name, directory: directory)
        let current = WriteAheadLog.segmentName(firstLSN: replayFrom)
        for file in FileIO.list(directory) {
            if file.hasPrefix("snapshot-"), file.hasSuffix(".snap"), file < name {
                FileIO.remove(directory + "/" + file)
            }
            if file.hasPrefix("log-"), file.hasSuffix(".seg"), file < current { FileIO.remove(directory + "/" + file) }
            if file.hasSuffix(".tmp") { FileIO.remove(directory + "/" + file) }
        }
        logger.info("snapshot \(name): \(mutations.count) records")
    }

    /// Bytes of the data directory's files (log segments and snapshots).
    public var diskBytes: Int {
        FileIO.list(options.directory).reduce(0) { total, file in
            let attributes = try? FileManager.default.attributesOfItem(atPath: options.directory + "/" + file)
            return total + ((attributes?[.size] as? NSNumber)?.intValue ?? 0)
        }
    }
}
