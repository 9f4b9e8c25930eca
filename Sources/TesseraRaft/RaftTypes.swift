/// Identifies one member of a Raft group; 0 is never a valid id.
public typealias NodeID = UInt64

/// A Raft term: a logical epoch in which at most one leader exists (§5.1).
public typealias Term = UInt64

/// A position in the replicated log; the first real entry has index 1.
public typealias LogIndex = UInt64
