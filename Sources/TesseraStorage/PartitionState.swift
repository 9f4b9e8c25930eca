import HeapModule
import TesseraCore

/// The items of one partition of one keyspace: a hash map for point access, a sorted key array for scans,
/// and a min-heap of expiry times for the reaper.
struct PartitionState {
    struct Expiry: Comparable {
        var atMs: Int64
        var key: ItemKey
        static func < (lhs: Self, rhs: Self) -> Bool { lhs.atMs < rhs.atMs }
        static func == (lhs: Self, rhs: Self) -> Bool { lhs.atMs == rhs.atMs && lhs.key == rhs.key }
    }

    private(set) var items: [ItemKey: StoredItem] = [:]
    /// Keys in byte order. Insertion is a binary search and a memmove: cheap for the partition sizes a node
    /// holds (a million keys over 64 partitions is about 16k per partition).
    private(set) var sortedKeys: [ItemKey] = []
    private(set) var expiries = Heap<Expiry>()
    /// Bytes of keys and values held (for `tessera_storage_bytes`).
    private(set) var bytes = 0
    /// The LSN of the newest mutation applied here: a read waits until it is durable, so no reader ever sees a
    /// write that a crash could still take back.
    var lastLSN: UInt64 = 0
    /// Set when the keyspace is dropped: a write that found the store before the drop must not land after it.
    var dropped = false
    /// Deleted keys with the version of their delete, kept for a grace period so that replication (last writer
    /// wins) cannot resurrect an older value from a stale replica. Expiry leaves one with the expired item's
    /// own version, for the same reason.
    private(set) var tombstones: [ItemKey: Version] = [:]

    var count: Int { items.count }

    /// The live item at `key`, hiding expired ones.
    func get(_ key: ItemKey, nowMs: Int64) -> StoredItem? {
        guard let item = items[key], !item.isExpired(nowMs: nowMs) else { return nil }
        return item
    }

    /// Stores `item` at `key`; returns the previous item, expired or not.
    @discardableResult
    mutating func put(_ key: ItemKey, _ item: StoredItem) -> StoredItem? {
        if !tombstones.isEmpty { tombstones.removeValue(forKey: key) }
        let previous = items.updateValue(item, forKey: key)
        if let previous {
            bytes -= previous.value.count
        } else {
            sortedKeys.insert(key, at: insertionIndex(of: key))
            bytes += key.string.utf8.count
        }
        bytes += item.value.count
        if item.expiresAtMs != 0 { expiries.insert(Expiry(atMs: item.expiresAtMs, key: key)) }
        return previous
    }

    /// Removes `key`; returns the removed item.
    @discardableResult
    mutating func remove(_ key: ItemKey) -> StoredItem? {
        guard let previous = items.removeValue(forKey: key) else { return nil }
        let index = insertionIndex(of: key)
        if index < sortedKeys.count, sortedKeys[index] == key { sortedKeys.remove(at: index) }
        bytes -= previous.value.count + key.string.utf8.count
        return previous
    }

    /// Removes `key` and remembers the delete's version.
    mutating func markDeleted(_ key: ItemKey, version: Version) {
        remove(key)
        if let existing = tombstones[key], existing >= version { return }
        tombstones[key] = version
    }

    /// The newest version known for `key`: its item's (expired or not) or its tombstone's.
    func newestVersion(of key: ItemKey) -> Version? {
        let itemVersion = items[key]?.version
        guard let tombstone = tombstones[key] else { return itemVersion }
        guard let itemVersion else { return tombstone }
        return max(itemVersion, tombstone)
    }

    /// The tombstone of `key`, if it has one.
    func tombstone(of key: ItemKey) -> Version? { tombstones[key] }

    /// Forgets tombstones whose delete happened before `cutoffMs`; returns how many.
    mutating func purgeTombstones(before cutoffMs: Int64) -> Int {
        let before = tombstones.count
        tombstones = tombstones.filter { $0.value.timestamp.physicalMs >= cutoffMs }
        return before - tombstones.count
    }

    /// Empties the partition (its data moved to other nodes); returns the keys that held items.
    mutating func clear() -> [ItemKey] {
        let keys = Array(items.keys)
        items = [:]
        sortedKeys = []
        expiries = Heap()
        tombstones = [:]
        bytes = 0
        return keys
    }

    /// Pops the keys whose items have expired at `nowMs` (stale heap entries are skipped).
    mutating func popExpired(nowMs: Int64, limit: Int) -> [ItemKey] {
        var expired: [ItemKey] = []
        while expired.count < limit, let top = expiries.min, top.atMs <= nowMs {
            expiries.removeMin()
            if let item = items[top.key], item.expiresAtMs == top.atMs { expired.append(top.key) }
        }
        return expired
    }

    /// The first index whose key is not below `key`.
    func insertionIndex(of key: ItemKey) -> Int {
        var low = 0
        var high = sortedKeys.count
        while low < high {
            let mid = (low + high) / 2
            if sortedKeys[mid] < key { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Up to `limit` live items with keys in `[lower, upper)` (upper nil: unbounded) that start with `prefix`.
    func scan(from lower: ItemKey, below upper: ItemKey?, prefix: String, limit: Int, nowMs: Int64)
        -> [(ItemKey, StoredItem)]
    {
        var out: [(ItemKey, StoredItem)] = []
        var index = insertionIndex(of: lower)
        while index < sortedKeys.count, out.count < limit {
            let key = sortedKeys[index]
            index += 1
            if let upper, !(key < upper) { break }
            if !key.hasPrefix(prefix) {
                if !prefix.isEmpty, !(key.string.utf8.lexicographicallyPrecedes(prefix.utf8)) { break }
                continue
            }
            if let item = items[key], !item.isExpired(nowMs: nowMs) { out.append((key, item)) }
        }
        return out
    }
}
