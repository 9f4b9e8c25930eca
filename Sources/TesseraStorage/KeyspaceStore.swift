import Synchronization
import TesseraCore

/// One partition's lock-protected state.
final class PartitionBox: Sendable {
    let state = Mutex(PartitionState())
}

/// A keyspace on this node: its settings, its partitions and its change feed.
final class KeyspaceStore: Sendable {
    let config: Mutex<KeyspaceConfig>
    let partitions: [PartitionBox]
    let feed: ChangeFeed

    init(config: KeyspaceConfig, partitionCount: Int, horizon: UInt64, eventsMax: Int) {
        self.config = Mutex(config)
        self.partitions = (0..<partitionCount).map { _ in PartitionBox() }
        self.feed = ChangeFeed(horizon: horizon, retentionSeconds: config.changeRetentionSeconds, eventsMax: eventsMax)
    }

    var name: String { config.withLock { $0.name } }

    /// Live and not yet reaped items.
    var itemCount: Int { partitions.reduce(0) { $0 + $1.state.withLock { $0.count } } }

    /// Bytes of keys and values.
    var bytes: Int { partitions.reduce(0) { $0 + $1.state.withLock { $0.bytes } } }
}
