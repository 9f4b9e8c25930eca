/// An in-memory `RaftStorage` for tests and the simulator.
public struct MemoryRaftStorage: RaftStorage, Sendable, Hashable {
    /// The persisted hard state.
    public private(set) var hardState: HardState
    /// The latest persisted snapshot.
    public private(set) var snapshot: Snapshot
    /// The persisted entries after the snapshot.
    public private(set) var entries: [LogEntry]

    /// Creates storage for a member of a new group (`membership` non-empty) or for a node yet to join.
    public init(membership: Membership = .empty) {
        hardState = HardState()
        snapshot = Snapshot(index: 0, term: 0, membership: membership)
        entries = []
    }

    /// The index of the last stored entry (the snapshot's index when there are none).
    public var lastIndex: LogIndex { entries.last?.index ?? snapshot.index }

    /// Stores `hardState`.
    public mutating func save(hardState: HardState) {
        self.hardState = hardState
    }

    /// Appends `entries`, first discarding stored entries at or after the first new index.
    public mutating func append(_ newEntries: [LogEntry]) {
        guard let first = newEntries.first else { return }
        precondition(first.index > snapshot.index, "append below the snapshot")
        precondition(first.index <= lastIndex + 1, "append leaves a gap")
        let keep = Int(first.index - snapshot.index - 1)
        entries.removeSubrange(keep...)
        entries.append(contentsOf: newEntries)
    }

    /// Stores `snapshot` and discards the entries it covers.
    public mutating func save(snapshot newSnapshot: Snapshot) {
        guard newSnapshot.index > snapshot.index else { return }
        let offset = Int(newSnapshot.index - snapshot.index)
        if offset <= entries.count, entries[offset - 1].term == newSnapshot.term {
            entries.removeFirst(offset)
        } else {
            entries.removeAll()
        }
        snapshot = newSnapshot
    }
}
