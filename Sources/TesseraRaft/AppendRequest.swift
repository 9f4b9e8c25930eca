/// The arguments of AppendEntries (Figure 2).
public struct AppendRequest: Sendable, Hashable {
    /// The index of the entry preceding the new ones.
    public var prevIndex: LogIndex
    /// The term of that entry.
    public var prevTerm: Term
    /// The entries to store, possibly empty.
    public var entries: [LogEntry]
    /// The leader's commit index.
    public var commit: LogIndex

    /// Creates an append request.
    public init(prevIndex: LogIndex, prevTerm: Term, entries: [LogEntry], commit: LogIndex) {
        self.prevIndex = prevIndex
        self.prevTerm = prevTerm
        self.entries = entries
        self.commit = commit
    }
}
