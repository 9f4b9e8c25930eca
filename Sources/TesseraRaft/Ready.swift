/// A batch of work the node hands to its caller (etcd's `Ready`).
///
/// Order of handling: persist `snapshot`, then `entries` (truncating any stored entries at or after the first
/// one's index), then `hardState`; only then send `messages`, apply `snapshot` and `committedEntries` to the state
/// machine, and answer `readStates` once the state machine has applied their index. Finally call `advance`.
public struct Ready: Sendable, Hashable {
    /// The hard state to persist, if it changed.
    public var hardState: HardState?
    /// Entries to append to stable storage before any message is sent.
    public var entries: [LogEntry]
    /// A snapshot received from the leader, to persist and then load into the state machine.
    public var snapshot: Snapshot?
    /// Committed entries to apply to the state machine, in order.
    public var committedEntries: [LogEntry]
    /// Messages to send after persisting.
    public var messages: [Message]
    /// Linearizable reads whose index is now known.
    public var readStates: [ReadState]
    /// The node's role after this batch.
    public var role: RaftRole
    /// The leader this node knows of after this batch.
    public var leader: NodeID?

    /// Whether the batch holds nothing the caller must act on.
    public var isEmpty: Bool {
        hardState == nil && entries.isEmpty && snapshot == nil && committedEntries.isEmpty && messages.isEmpty
            && readStates.isEmpty
    }
}
