import TesseraRaft

/// Everything that shapes one simulation run besides the seed.
public struct SimulationOptions: Sendable, Hashable {
    /// Initial number of voters (3 or 5).
    public var nodes: Int = 3
    /// Number of concurrent clients.
    public var clients: Int = 3
    /// Number of keys the clients touch.
    public var keys: Int = 3
    /// Virtual milliseconds per tick.
    public var tickMs: UInt64 = 10
    /// Each node's tick period differs from `tickMs` by up to this much (clock drift; 1 ms is 10 %, inside the
    /// 20 % that the lease's `leaseDriftTicks = 2` of 10 absorbs).
    public var clockDriftMs: UInt64 = 1
    /// Faults are injected during [0, chaosMs).
    public var chaosMs: UInt64 = 1_500
    /// After the heal, the run lasts this long; operations invoked after the heal must finish within it.
    public var settleMs: UInt64 = 1_000
    /// Approximate number of fault events in the chaos window.
    public var faultEvents: Int = 6
    /// A client gives up on an operation after this long (outcome unknown) during the chaos window.
    public var clientTimeoutMs: UInt64 = 500
    /// After the heal a leader must exist within this bound.
    public var leaderBoundMs: UInt64 = 800
    /// Whether membership changes (learner add, promotion, removal) and leadership transfers are injected.
    public var reconfigure: Bool = true
    /// Read mode for every node; `nil` picks per seed.
    public var readMode: RaftConfig.ReadMode? = nil
    /// Deliberate protocol bugs to inject (tests only).
    package var faults: ProtocolFaults = []
    /// The lease's drift margin in ticks (see `RaftConfig.leaseDriftTicks`).
    public var leaseDriftTicks = 2

    /// Creates the default options.
    public init(nodes: Int = 3) {
        self.nodes = nodes
    }

    /// Injects the named deliberate bug; returns false for an unknown name.
    package mutating func injectBug(named name: String) -> Bool {
        switch name {
        case "commit-earlier-term": faults.insert(.commitEarlierTermByCounting)
        case "double-vote": faults.insert(.grantMultipleVotesPerTerm)
        case "skip-up-to-date": faults.insert(.skipUpToDateCheck)
        default: return false
        }
        return true
    }
}
