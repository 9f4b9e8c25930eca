import TesseraCore

/// Sees every change of an item's state, under the lock of the item's partition, in commit order: secondary
/// indexes are fed through it, so a write is in every index before it is acknowledged.
public protocol ItemObserver: Sendable {
    /// Throws to refuse a put before it is logged (for example an invalid coordinate in an indexed field).
    func validate(keyspace: String, key: String, item: StoredItem) throws(TesseraError)
    /// Applies a change: the item now stored, or nil when the key was deleted or expired.
    func apply(keyspace: String, key: String, item: StoredItem?)
}

extension StorageEngine {
    /// Installs the observer of every later change.
    public func setObserver(_ observer: (any ItemObserver)?) {
        self.observer.withLock { $0 = observer }
    }

    var currentObserver: (any ItemObserver)? { observer.withLock { $0 } }

    /// Calls `body` with every live item of a keyspace, each partition under its lock, so that a concurrent
    /// write is seen either by `body` or by the observer, never lost between them.
    public func forEachItem(keyspace: String, _ body: (String, StoredItem) -> Void) throws(TesseraError) {
        let store = try store(keyspace)
        for partition in store.partitions {
            partition.state.withLock { state in
                let now = wallClock()
                for (key, item) in state.items where !item.isExpired(nowMs: now) { body(key.string, item) }
            }
        }
    }
}
