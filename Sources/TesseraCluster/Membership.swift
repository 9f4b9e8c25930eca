import Synchronization
import TesseraCore

/// What one node knows of the cluster: member records and keyspace definitions merged from gossip (higher
/// generation or version wins), a φ accrual failure detector per peer, and the rings derived from the records.
final class Membership: Sendable {
    struct State {
        var records: [String: MemberRecord] = [:]
        var detectors: [String: PhiAccrualDetector] = [:]
        var keyspaces: [String: KeyspaceEntry] = [:]
        /// For each peer, the generation of this node's record it last reported: a change is known to the
        /// cluster once every live peer reports it.
        var seenOfSelf: [String: UInt64] = [:]
        var readRing: ConsistentHashRing
        var writeRing: ConsistentHashRing
        var dirty = false
        /// Set when another node removed this one (it was down): it must stop serving.
        var removed = false
        /// No other member that has not left.
        var solo = true
    }

    let selfID: String
    let partitions: Int
    let tokensPerNode: Int
    let suspectPhi: Double
    let downPhi: Double
    let state: Mutex<State>

    init(
        self record: MemberRecord, removalFloor: UInt64, others: [MemberRecord], keyspaces: [KeyspaceEntry],
        partitions: Int,
        tokensPerNode: Int, suspectPhi: Double, downPhi: Double, nowMs: Int64
    ) {
        selfID = record.id
        initialSelf = record
        self.removalFloor = removalFloor
        self.partitions = partitions
        self.tokensPerNode = tokensPerNode
        self.suspectPhi = suspectPhi
        self.downPhi = downPhi
        let empty = ConsistentHashRing(members: [], partitions: partitions, tokensPerNode: tokensPerNode)
        var initial = State(readRing: empty, writeRing: empty)
        initial.records[record.id] = record
        for other in others where other.id != record.id {
            initial.records[other.id] = other
            var detector = Membership.makeDetector()
            detector.heartbeat(atMs: nowMs)
            initial.detectors[other.id] = detector
        }
        for entry in keyspaces { initial.keyspaces[entry.name] = entry }
        Membership.rebuildRings(&initial, partitions: partitions, tokensPerNode: tokensPerNode)
        state = Mutex(initial)
    }

    /// A failure detector tuned for heartbeats every few hundred milliseconds between busy processes: the
    /// 500 ms floor on the standard deviation makes φ reach 8 (down) after about 3 s of silence, so a node
    /// starved of CPU for a second is not judged down (which would make writes refuse for want of replicas).
    static func makeDetector() -> PhiAccrualDetector { PhiAccrualDetector(minStdDevMs: 500) }

    static func rebuildRings(_ state: inout State, partitions: Int, tokensPerNode: Int) {
        let records = state.records.values
        state.solo = records.filter { $0.status != .left }.count <= 1
        state.readRing = ConsistentHashRing(
            members: records.filter(\.inReadRing).map { RingMember(id: $0.id, region: $0.region) },
            partitions: partitions, tokensPerNode: tokensPerNode)
        state.writeRing = ConsistentHashRing(
            members: records.filter(\.inWriteRing).map { RingMember(id: $0.id, region: $0.region) },
            partitions: partitions, tokensPerNode: tokensPerNode)
    }

    let initialSelf: MemberRecord
    /// The generation of this node's record before this start: a `left` record of it with a higher generation
    /// was written by another node that removed it.
    let removalFloor: UInt64

    var selfRecord: MemberRecord {
        state.withLock { $0.records[selfID] } ?? initialSelf
    }

    /// Changes this node's own record, raising its generation.
    func updateSelf(nowMs: Int64, _ change: (inout MemberRecord) -> Void) {
        state.withLock { state in
            guard var record = state.records[selfID] else { return }
            let before = record
            change(&record)
            guard record != before else { return }
            record.generation = max(record.generation + 1, UInt64(max(0, nowMs)) << 16)
            state.records[selfID] = record
            state.dirty = true
            if record.status != before.status {
                Membership.rebuildRings(&state, partitions: partitions, tokensPerNode: tokensPerNode)
            }
        }
    }

    /// Records a heartbeat of `peer` (any message from it).
    func heartbeat(from peer: String, nowMs: Int64) {
        state.withLock { state in
            guard peer != selfID else { return }
            state.detectors[peer, default: Membership.makeDetector()].heartbeat(atMs: nowMs)
        }
    }

    /// Merges gossiped records and keyspace entries; returns the keyspace entries that are newer than ours.
    @discardableResult
    func merge(members: [MemberRecord], keyspaces: [KeyspaceEntry], from peer: String?, nowMs: Int64)
        -> [KeyspaceEntry]
    {
        state.withLock { state in
            var ringChanged = false
            for record in members {
                if record.id == selfID {
                    if let peer { state.seenOfSelf[peer] = record.generation }
                    // Removed while it was down (by another node, after this node last wrote its own record):
                    // it must not come back with stale data as if nothing happened.
                    if record.status == .left, record.generation > removalFloor,
                        state.records[selfID]?.status != .left
                    {
                        state.removed = true
                        continue
                    }
                    // Someone holds a newer record of us (we restarted from an older file): move past it.
                    if let mine = state.records[selfID], record.generation > mine.generation {
                        var raised = mine
                        raised.generation = record.generation + 1
                        state.records[selfID] = raised
                        state.dirty = true
                    }
                    continue
                }
                let current = state.records[record.id]
                if let current, record.generation <= current.generation { continue }
                // `left` is final for a data directory: a removed node restarted with its old data comes back
                // claiming `up` and is ignored (it learns it was removed and stops); only a fresh join, from an
                // empty data directory, brings the id back.
                if let current, current.status == .left, record.status != .joining { continue }
                if current == nil {
                    var detector = Membership.makeDetector()
                    detector.heartbeat(atMs: nowMs)
                    state.detectors[record.id] = detector
                }
                if current?.status != record.status || current == nil { ringChanged = true }
                state.records[record.id] = record
                state.dirty = true
            }
            if ringChanged { Membership.rebuildRings(&state, partitions: partitions, tokensPerNode: tokensPerNode) }
            var newer: [KeyspaceEntry] = []
            for entry in keyspaces {
                if let current = state.keyspaces[entry.name], current.version >= entry.version { continue }
                state.keyspaces[entry.name] = entry
                state.dirty = true
                newer.append(entry)
            }
            return newer
        }
    }

    /// Marks a member that is down as `left` on its behalf (it cannot announce it itself); false when it is not
    /// a member or is still alive.
    func removeDead(_ id: String, nowMs: Int64) -> Bool {
        state.withLock { state in
            guard id != selfID, var record = state.records[id], record.status != .left else { return false }
            guard (state.detectors[id]?.phi(atMs: nowMs) ?? 0) >= downPhi else { return false }
            record.status = .left
            record.generation += 1
            state.records[id] = record
            state.dirty = true
            Membership.rebuildRings(&state, partitions: partitions, tokensPerNode: tokensPerNode)
            return true
        }
    }

    /// Records a local keyspace change so that gossip spreads it.
    func setKeyspace(_ entry: KeyspaceEntry) {
        state.withLock { state in
            state.keyspaces[entry.name] = entry
            state.dirty = true
        }
    }

    /// The observed state of a member: its own status, or `suspect` / `down` from the failure detector.
    func observedState(of record: MemberRecord, in state: State, nowMs: Int64) -> String {
        if record.id == selfID || record.status == .left { return record.status.rawValue }
        let phi = state.detectors[record.id]?.phi(atMs: nowMs) ?? 0
        if phi >= downPhi { return "down" }
        if phi >= suspectPhi { return "suspect" }
        return record.status.rawValue
    }

    /// Whether requests should be sent to `id` (itself, or a peer not judged down).
    func isAlive(_ id: String, nowMs: Int64) -> Bool {
        if id == selfID { return true }
        return state.withLock { state in
            guard let record = state.records[id], record.status != .left else { return false }
            return (state.detectors[id]?.phi(atMs: nowMs) ?? 0) < downPhi
        }
    }

    /// Members except those that left, sorted by id, with their observed states.
    func view(nowMs: Int64) -> [(record: MemberRecord, state: String)] {
        state.withLock { state in
            state.records.values.filter { $0.status != .left }.sorted { $0.id < $1.id }.map {
                ($0, observedState(of: $0, in: state, nowMs: nowMs))
            }
        }
    }

    /// Every record (left ones included, so that gossip does not resurrect them) and keyspace entry.
    func gossipPayload() -> ([MemberRecord], [KeyspaceEntry]) {
        state.withLock { (Array($0.records.values), Array($0.keyspaces.values)) }
    }

    func record(_ id: String) -> MemberRecord? { state.withLock { $0.records[id] } }

    /// Whether this node is the only member that has not left (a single-node cluster), kept current by
    /// `rebuildRings` so that the hot path reads one flag.
    var isSolo: Bool { state.withLock { $0.solo } }

    /// Peers to gossip with: every member that has not left.
    func peers() -> [MemberRecord] {
        state.withLock { state in state.records.values.filter { $0.id != selfID && $0.status != .left } }
    }

    /// Whether every live peer reports this node's current generation (or newer).
    func selfChangeKnown(nowMs: Int64) -> Bool {
        state.withLock { state in
            guard let mine = state.records[selfID] else { return false }
            for (id, record) in state.records where id != selfID && record.status != .left {
                let phi = state.detectors[id]?.phi(atMs: nowMs) ?? 0
                if phi >= downPhi { continue }
                if (state.seenOfSelf[id] ?? 0) < mine.generation { return false }
            }
            return true
        }
    }

    var rings: (read: ConsistentHashRing, write: ConsistentHashRing) {
        state.withLock { ($0.readRing, $0.writeRing) }
    }

    /// Whether another node removed this one while it was down.
    var wasRemoved: Bool { state.withLock { $0.removed } }

    /// Takes the dirty flag (persistence is due when it was set).
    func takeDirty() -> Bool {
        state.withLock { state in
            defer { state.dirty = false }
            return state.dirty
        }
    }
}
