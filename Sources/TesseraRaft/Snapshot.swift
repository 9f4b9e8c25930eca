/// The metadata and opaque content of a state-machine snapshot (§7).
public struct Snapshot: Sendable, Hashable {
    /// The index of the last entry the snapshot replaces.
    public var index: LogIndex
    /// The term of that entry.
    public var term: Term
    /// The membership in effect at `index`.
    public var membership: Membership
    /// The application's serialized state machine.
    public var data: [UInt8]

    /// Creates a snapshot.
    public init(index: LogIndex, term: Term, membership: Membership, data: [UInt8] = []) {
        self.index = index
        self.term = term
        self.membership = membership
        self.data = data
    }
}
