/// A linearizable read that may be served once the state machine has applied `index` (dissertation §6.4).
public struct ReadState: Sendable, Hashable {
    /// The commit index at the time the read was accepted.
    public var index: LogIndex
    /// The caller's token passed to `readIndex`.
    public var context: UInt64

    /// Creates a read state.
    public init(index: LogIndex, context: UInt64) {
        self.index = index
        self.context = context
    }
}
