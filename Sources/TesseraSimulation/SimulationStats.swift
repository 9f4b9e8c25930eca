import TesseraRaft

/// Figures from one run.
public struct SimulationStats: Sendable, Hashable {
    /// Events processed.
    public var events = 0
    /// Highest index applied by any node.
    public var committedEntries: LogIndex = 0
    /// Client operations judged by the checker.
    public var operations = 0
    /// Of those, operations whose outcome was unknown.
    public var unknownOutcomes = 0
    /// Node crashes injected.
    public var crashes = 0
    /// Membership changes the leader accepted.
    public var membershipChanges = 0
    /// Times a node became leader.
    public var elections = 0
    /// Snapshots installed from a leader (InstallSnapshot).
    public var snapshotsInstalled = 0
    /// Leadership transfers the leader accepted.
    public var transfers = 0
    /// Whether the linearizability search ran out of budget.
    public var linearizabilityInconclusive = false
    var healClock: UInt64 = .max

    /// Creates empty statistics (to accumulate runs into).
    public init() {}
}
