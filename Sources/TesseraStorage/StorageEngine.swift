import Foundation
import Logging
import Synchronization
import TesseraCore

/// The node-local storage engine: keyspaces of partitioned items, the write-ahead log with group commit,
/// snapshots, recovery, TTL expiry, locks and change feeds. All writes are logged and acknowledged only once
/// durable under the sync policy.
public final class StorageEngine: Sendable {
    /// The options it was opened with.
    public let options: StorageOptions
    /// How keys map to partitions.
    public let partitioner: Partitioner
    let registry: KeyspaceRegistry
    let wal: WriteAheadLog
    let locks: Mutex<LockState>
    let clock: Mutex<HybridClock>
    let wallClock: @Sendable () -> Int64
    let logger: Logger
    let snapshotting = Mutex(false)
    let observer = Mutex<(any ItemObserver)?>(nil)
    let lockFileDescriptor: Int32

    /// The name of the keyspace that always exists.
    public static let defaultKeyspace = "default"

    /// Opens (creating or recovering) the data directory.
    public init(
        options: StorageOptions, logger: Logger = Logger(label: "tessera.storage"),
        wallClock: @escaping @Sendable () -> Int64 = StorageEngine.systemMilliseconds,
        onFatal: @escaping @Sendable (StorageError) -> Void = { _ in }
    ) throws {
        self.options = options
        self.logger = logger
        self.wallClock = wallClock
        try FileManager.default.createDirectory(atPath: options.directory, withIntermediateDirectories: true)
        lockFileDescriptor = try DataDirectoryLock.acquire(options.directory)
        let partitions = try DataDirectoryMeta.loadOrCreate(options.directory, partitionCount: options.partitionCount)
        partitioner = Partitioner(count: partitions)
        let registry = KeyspaceRegistry(
            partitionCount: partitions, eventsMax: options.changeEventsMax, wallClock: wallClock)
        self.registry = registry

        var recovered = try Recovery.run(directory: options.directory, registry: registry, logger: logger)
        clock = Mutex(HybridClock(last: HybridTimestamp(rawValue: recovered.clockHighWater)))
        locks = Mutex(LockState(table: recovered.lockTable))
        let segment = options.directory + "/" + WriteAheadLog.segmentName(firstLSN: recovered.nextLSN)
        wal = try WriteAheadLog(
            directory: options.directory, segmentPath: segment, nextLSN: recovered.nextLSN,
            policy: options.syncPolicy, onDurable: { registry.publish($0) },
            onFailure: { [logger] error in
                // The state in memory may now hold writes the disk refused: stop serving it.
                logger.critical("the log failed, stopping: \(error)")
                onFatal(error)
            })
        recovered.lockTable = LockTable()
        if registry[StorageEngine.defaultKeyspace] == nil {
            let config = KeyspaceConfig(name: StorageEngine.defaultKeyspace, createdAtMs: wallClock())
            registry.upsert(config, horizon: recovered.nextLSN - 1)
            _ = try wal.append([.keyspacePut(config)])
        }
    }

    /// Wall-clock Unix milliseconds.
    public static let systemMilliseconds: @Sendable () -> Int64 = {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// Flushes the log, takes a snapshot when the log has grown, and releases the data directory.
    public func close() {
        // Wait for a background snapshot to finish, then take the last one ourselves.
        while !snapshotting.withLock({ busy in
            if busy { return false }
            busy = true
            return true
        }) {
            usleep(10_000)
        }
        if wal.bytesSinceLastRotation > 0 {
            do { try takeSnapshot() } catch { logger.error("snapshot at shutdown failed: \(error)") }
        }
        wal.close()
        DataDirectoryLock.release(lockFileDescriptor)
    }

    /// The current wall clock in Unix ms.
    public var nowMs: Int64 { wallClock() }

    func nextVersion() -> Version {
        let now = wallClock()
        let ts = clock.withLock { $0.now(wallMs: now) }
        return Version(timestamp: ts, node: options.nodeOrdinal)
    }

    func store(_ keyspace: String) throws(TesseraError) -> KeyspaceStore {
        guard let store = registry[keyspace] else {
            throw TesseraError(.keyspaceNotFound, "keyspace \(keyspace) does not exist")
        }
        return store
    }

    /// Appends under the caller's lock, converting storage failures into a 503.
    func log(_ mutations: [Mutation]) throws(TesseraError) -> UInt64 {
        do {
            return try wal.append(mutations)
        } catch {
            throw TesseraError(.unavailable, "storage failure: \(error.message)")
        }
    }

    /// Waits for durability, converting storage failures into a 503.
    func awaitDurable(_ lsn: UInt64) async throws(TesseraError) {
        if wal.isDurable(lsn) { return }
        do {
            try await wal.waitDurable(lsn)
        } catch {
            throw TesseraError(.unavailable, "storage failure: \(error)")
        }
    }

    /// The newest LSN assigned (the position of "now" for change cursors).
    public var lastLSN: UInt64 { wal.peekNextLSN - 1 }
}
