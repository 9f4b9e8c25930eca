import Synchronization
import TesseraCore

/// The keyspaces of a node by name, and how committed mutations reach their change feeds.
final class KeyspaceRegistry: Sendable {
    let map = Mutex<[String: KeyspaceStore]>([:])
    let partitionCount: Int
    let eventsMax: Int
    let wallClock: @Sendable () -> Int64

    init(partitionCount: Int, eventsMax: Int, wallClock: @escaping @Sendable () -> Int64) {
        self.partitionCount = partitionCount
        self.eventsMax = eventsMax
        self.wallClock = wallClock
    }

    subscript(name: String) -> KeyspaceStore? { map.withLock { $0[name] } }

    var all: [KeyspaceStore] { map.withLock { Array($0.values) } }

    /// Creates or reconfigures a keyspace; returns the store and whether it was created.
    @discardableResult
    func upsert(_ config: KeyspaceConfig, horizon: UInt64) -> (KeyspaceStore, Bool) {
        map.withLock { map in
            if let existing = map[config.name] {
                existing.config.withLock { $0 = config }
                existing.feed.setRetention(seconds: config.changeRetentionSeconds)
                return (existing, false)
            }
            let store = KeyspaceStore(
                config: config, partitionCount: partitionCount, horizon: horizon, eventsMax: eventsMax)
            map[config.name] = store
            return (store, true)
        }
    }

    func drop(_ name: String) -> KeyspaceStore? {
        map.withLock { $0.removeValue(forKey: name) }
    }

    /// Publishes the change events of durable mutations to their keyspaces' feeds, in LSN order.
    func publish(_ committed: WriteAheadLog.Committed) {
        var byKeyspace: [String: [ChangeEvent]] = [:]
        for (lsn, mutation) in committed {
            switch mutation {
            case .put(let keyspace, let key, let item):
                byKeyspace[keyspace, default: []].append(
                    ChangeEvent(
                        lsn: lsn, kind: .put, key: key, version: item.version, value: item.value,
                        contentType: item.contentType))
            case .delete(let keyspace, let key, let reason, let version):
                byKeyspace[keyspace, default: []].append(
                    ChangeEvent(
                        lsn: lsn, kind: reason == .expire ? .expire : .delete, key: key, version: version,
                        value: nil, contentType: nil))
            default:
                continue
            }
        }
        guard !byKeyspace.isEmpty else { return }
        let now = wallClock()
        for (name, events) in byKeyspace {
            self[name]?.feed.publish(events, nowMs: now)
        }
    }
}
