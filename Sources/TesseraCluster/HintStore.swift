import DequeModule
import Synchronization
import TesseraStorage

/// Writes for replicas that did not acknowledge them, kept until the replica answers again (hinted handoff).
/// Hints live in memory: a coordinator that crashes loses its hints, and anti-entropy repairs what they held.
/// A hint older than the tombstone grace period is dropped rather than delivered: delivering it could bring back
/// a value whose delete has been forgotten.
final class HintStore: Sendable {
    private let hints = Mutex<[String: Deque<ReplicaRecord>]>([:])
    let limitPerPeer: Int

    init(limitPerPeer: Int) { self.limitPerPeer = limitPerPeer }

    /// Keeps `record` for `peer`; returns false when the peer's hints are full (the oldest is dropped).
    @discardableResult
    func add(_ record: ReplicaRecord, for peer: String) -> Bool {
        hints.withLock { hints in
            hints[peer, default: []].append(record)
            if hints[peer, default: []].count > limitPerPeer {
                hints[peer, default: []].removeFirst()
                return false
            }
            return true
        }
    }

    /// Takes up to `limit` hints of `peer` written at or after `notBeforeMs` (older ones are dropped); the
    /// caller puts back what it fails to deliver.
    func take(for peer: String, limit: Int, notBeforeMs: Int64) -> [ReplicaRecord] {
        hints.withLock { hints in
            guard var pending = hints[peer], !pending.isEmpty else { return [] }
            var batch: [ReplicaRecord] = []
            while batch.count < limit, let record = pending.popFirst() {
                if record.version.timestamp.physicalMs >= notBeforeMs { batch.append(record) }
            }
            hints[peer] = pending.isEmpty ? nil : pending
            return batch
        }
    }

    /// Puts undelivered hints back in front.
    func restore(_ records: [ReplicaRecord], for peer: String) {
        hints.withLock { hints in
            var pending = hints[peer] ?? []
            pending.prepend(contentsOf: records)
            hints[peer] = pending
        }
    }

    /// Peers with hints waiting.
    var peers: [String] { hints.withLock { Array($0.keys) } }

    /// Hints waiting, over all peers.
    var count: Int { hints.withLock { $0.values.reduce(0) { $0 + $1.count } } }
}
