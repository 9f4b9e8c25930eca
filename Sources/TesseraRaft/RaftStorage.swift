/// Durable state of one node: the hard state, the latest snapshot and the log entries after it.
///
/// The node reads it once when it starts; the caller writes to it while handling each `Ready`.
public protocol RaftStorage {
    /// The persisted hard state.
    var hardState: HardState { get }
    /// The latest persisted snapshot; index 0 with the bootstrap membership for a new group.
    var snapshot: Snapshot { get }
    /// The persisted entries after the snapshot, in order.
    var entries: [LogEntry] { get }

    /// Stores `hardState`.
    mutating func save(hardState: HardState)
    /// Appends `entries`, first discarding stored entries at or after the first new index.
    mutating func append(_ entries: [LogEntry])
    /// Stores `snapshot`, discarding entries it covers (all of them if the entry at its index has another term).
    mutating func save(snapshot: Snapshot)
}
