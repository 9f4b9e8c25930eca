/// How a node's storage engine is set up.
public struct StorageOptions: Sendable {
    /// The data directory.
    public var directory: String
    /// Partitions per keyspace (fixed at creation of the data directory).
    public var partitionCount: Int
    /// When writes reach stable storage.
    public var syncPolicy: SyncPolicy
    /// Log bytes after which a snapshot is taken and older log segments removed.
    public var snapshotLogBytes: Int
    /// The most change events kept per keyspace, whatever its retention time.
    public var changeEventsMax: Int
    /// The ordinal of this node in versions.
    public var nodeOrdinal: UInt16
    /// How long a delete's tombstone is kept (default 1 hour; Cassandra's `gc_grace_seconds`).
    public var tombstoneGraceMs: Int64 = 3_600_000

    /// Creates options with the defaults of the docs.
    public init(
        directory: String, partitionCount: Int = 64, syncPolicy: SyncPolicy = .always,
        snapshotLogBytes: Int = 64 << 20, changeEventsMax: Int = 100_000, nodeOrdinal: UInt16 = 1
    ) {
        self.directory = directory
        self.partitionCount = partitionCount
        self.syncPolicy = syncPolicy
        self.snapshotLogBytes = snapshotLogBytes
        self.changeEventsMax = changeEventsMax
        self.nodeOrdinal = nodeOrdinal
    }
}
