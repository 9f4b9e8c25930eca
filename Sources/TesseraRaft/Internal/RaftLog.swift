/// A node's view of the log: the latest snapshot, the entries after it, and how far they are
/// committed, applied and handed out for persistence.
struct RaftLog: Sendable {
    /// The latest snapshot (the base of the log); sent to followers that fell behind it.
    private(set) var snapshot: Snapshot
    /// Entries after the snapshot: `entries[k].index == snapshot.index + 1 + k`.
    private(set) var entries: [LogEntry]
    /// Highest index known to be committed.
    private(set) var committed: LogIndex
    /// Highest index handed to the caller for applying.
    var applied: LogIndex
    /// First index not yet handed to the caller for persisting.
    private(set) var unstableFrom: LogIndex
    /// Whether `snapshot` was installed from a leader and still has to be handed to the caller.
    var snapshotPending = false
    /// Membership entries in `entries`, oldest first; the latest one is in effect.
    private var membershipEntries: [(index: LogIndex, membership: Membership)] = []

    /// Restores the log from storage.
    init(storage: some RaftStorage) {
        snapshot = storage.snapshot
        entries = storage.entries
        committed = max(storage.snapshot.index, min(storage.hardState.commit, storage.entries.last?.index ?? 0))
        applied = storage.snapshot.index
        unstableFrom = (storage.entries.last?.index ?? storage.snapshot.index) + 1
        rebuildMembership()
    }

    var firstIndex: LogIndex { snapshot.index + 1 }
    var lastIndex: LogIndex { snapshot.index + LogIndex(entries.count) }
    var lastTerm: Term { entries.last?.term ?? snapshot.term }

    /// The term of the entry at `index`, or nil if it was compacted or does not exist yet.
    func term(at index: LogIndex) -> Term? {
        if index == snapshot.index { return snapshot.term }
        guard index > snapshot.index, index <= lastIndex else { return nil }
        return entries[Int(index - snapshot.index - 1)].term
    }

    /// The entry at `index` (which must be in `firstIndex...lastIndex`).
    func entry(at index: LogIndex) -> LogEntry {
        entries[Int(index - snapshot.index - 1)]
    }

    /// Up to `maxCount` entries starting at `index`, or nil if `index` was compacted.
    func entries(from index: LogIndex, maxCount: Int) -> [LogEntry]? {
        guard index >= firstIndex else { return nil }
        guard index <= lastIndex else { return [] }
        let start = Int(index - snapshot.index - 1)
        let end = min(entries.count, start + maxCount)
        return Array(entries[start..<end])
    }

    /// Whether a log ending at (`index`, `term`) is at least as up to date as this one (§5.4.1).
    func isUpToDate(lastIndex index: LogIndex, lastTerm term: Term) -> Bool {
        term > lastTerm || (term == lastTerm && index >= lastIndex)
    }

    /// The membership in effect: the latest one in the log, committed or not (dissertation §4.1).
    var membership: Membership { membershipEntries.last?.membership ?? snapshot.membership }

    /// The index of the latest membership entry (the snapshot's index if none is in the log).
    var membershipIndex: LogIndex { membershipEntries.last?.index ?? snapshot.index }

    /// The membership in effect at `index`.
    func membership(at index: LogIndex) -> Membership {
        membershipEntries.last { $0.index <= index }?.membership ?? snapshot.membership
    }

    /// Appends entries created by this node as leader.
    mutating func appendAsLeader(_ newEntries: [LogEntry]) {
        for entry in newEntries {
            precondition(entry.index == lastIndex + 1, "leader append out of order")
            entries.append(entry)
            noteMembership(entry)
        }
    }

    /// Stores entries from the leader that follow a matching `prevIndex`, truncating at the first conflict
    /// (Figure 2, AppendEntries receiver steps 3-4). Returns the index of the last new entry.
    /// A leader never asks to overwrite a committed entry; with `tolerateUnsafe` (deliberately broken protocol
    /// under test) the log obeys and the commit index regresses, for the simulator's checkers to catch.
    mutating func appendFromLeader(_ newEntries: [LogEntry], tolerateUnsafe: Bool = false) -> LogIndex {
        guard let last = newEntries.last else { return 0 }
        for (offset, entry) in newEntries.enumerated() {
            if let existing = term(at: entry.index) {
                if existing == entry.term { continue }
                precondition(
                    entry.index > committed || tolerateUnsafe,
                    "leader asked to overwrite committed entry \(entry.index)"
                )
                if entry.index <= committed { committed = entry.index - 1 }
                truncate(from: entry.index)
            }
            for rest in newEntries[offset...] {
                entries.append(rest)
                noteMembership(rest)
            }
            break
        }
        return last.index
    }

    /// Advances the commit index; it never moves backwards.
    mutating func commit(to index: LogIndex) {
        precondition(index <= lastIndex, "commit beyond the log")
        if index > committed { committed = index }
    }

    /// Replaces the log with a snapshot from the leader, keeping entries after it if they match (§7).
    mutating func restore(_ newSnapshot: Snapshot) {
        if term(at: newSnapshot.index) == newSnapshot.term, newSnapshot.index <= lastIndex {
            entries.removeFirst(Int(newSnapshot.index - snapshot.index))
        } else {
            entries.removeAll()
        }
        snapshot = newSnapshot
        committed = max(committed, newSnapshot.index)
        applied = newSnapshot.index
        unstableFrom = max(unstableFrom, newSnapshot.index + 1)
        if unstableFrom > lastIndex + 1 { unstableFrom = lastIndex + 1 }
        snapshotPending = true
        rebuildMembership()
    }

    /// Discards entries up to `index` (already applied) in favour of a snapshot holding `data`.
    mutating func compact(through index: LogIndex, data: [UInt8]) -> Snapshot {
        precondition(index <= applied && index >= snapshot.index, "compaction beyond the applied index")
        precondition(index < unstableFrom, "compaction of entries not yet handed out for persisting")
        let newSnapshot = Snapshot(index: index, term: term(at: index)!, membership: membership(at: index), data: data)
        entries.removeFirst(Int(index - snapshot.index))
        snapshot = newSnapshot
        rebuildMembership()
        return newSnapshot
    }

    /// Entries not yet handed out for persisting; marks them handed out.
    mutating func takeUnstable() -> [LogEntry] {
        guard unstableFrom <= lastIndex else { return [] }
        let out = Array(entries[Int(unstableFrom - snapshot.index - 1)...])
        unstableFrom = lastIndex + 1
        return out
    }

    /// Committed entries not yet handed out for applying; marks them handed out.
    mutating func takeCommitted(maxCount: Int) -> [LogEntry] {
        guard committed > applied, let out = entries(from: applied + 1, maxCount: Int(committed - applied)) else {
            return []
        }
        let limited = Array(out.prefix(maxCount))
        applied += LogIndex(limited.count)
        return limited
    }

    private mutating func truncate(from index: LogIndex) {
        entries.removeSubrange(Int(index - snapshot.index - 1)...)
        membershipEntries.removeAll { $0.index >= index }
        unstableFrom = min(unstableFrom, index)
    }

    private mutating func noteMembership(_ entry: LogEntry) {
        if case .membership(let membership) = entry.payload {
            membershipEntries.append((entry.index, membership))
        }
    }

    private mutating func rebuildMembership() {
        membershipEntries = []
        for entry in entries { noteMembership(entry) }
    }
}
