/// One entry of the replicated log (Figure 2: "each entry contains command for state machine, and term").
public struct LogEntry: Sendable, Hashable {
    /// What an entry carries.
    public enum Payload: Sendable, Hashable {
        /// An empty entry a new leader appends to commit entries of earlier terms (§5.4.2, §8).
        case noop
        /// An opaque command for the application's state machine.
        case command([UInt8])
        /// A complete membership; it takes effect as soon as it is in a server's log (dissertation §4.1).
        case membership(Membership)
    }

    /// The term of the leader that created the entry.
    public var term: Term
    /// The entry's position in the log.
    public var index: LogIndex
    /// The entry's content.
    public var payload: Payload

    /// Creates an entry.
    public init(term: Term, index: LogIndex, payload: Payload) {
        self.term = term
        self.index = index
        self.payload = payload
    }
}
