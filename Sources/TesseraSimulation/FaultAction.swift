import TesseraRaft

/// One injected fault; targets are resolved when it fires (e.g. "the current leader").
public enum FaultAction: Sendable, Hashable, CustomStringConvertible {
    /// Crashes a node (by position among live nodes, or the leader when `leader` is set).
    case crash(pick: Int, leader: Bool, at: CrashPoint)
    /// Restarts every crashed node picked by position.
    case restart(pick: Int)
    /// Splits the nodes into two sides; one-way partitions block only `side -> rest`.
    case partition(mask: UInt32, oneWay: Bool)
    /// Isolates the current leader.
    case isolateLeader
    /// Removes all partitions.
    case healNetwork
    /// Asks the leader to hand leadership to another voter.
    case transferLeadership(pick: Int)
    /// Adds a fresh node as a learner, promotes a caught-up learner, or removes a voter.
    case reconfigure(pick: Int)
    /// Crashes the next node to win an election `afterMs` after it wins (before its log has spread); with 0, it
    /// persists its first batch as leader and crashes before sending anything.
    case crashNextLeader(afterMs: Int)

    /// A short description.
    public var description: String {
        switch self {
        case .crash(let pick, let leader, let point):
            return leader ? "crash leader \(point)" : "crash #\(pick) \(point)"
        case .restart(let pick): return "restart #\(pick)"
        case .partition(let mask, let oneWay): return "partition mask=\(mask)\(oneWay ? " one-way" : "")"
        case .isolateLeader: return "isolate leader"
        case .healNetwork: return "heal network"
        case .transferLeadership(let pick): return "transfer leadership #\(pick)"
        case .reconfigure(let pick): return "reconfigure #\(pick)"
        case .crashNextLeader(let delay): return "crash next leader \(delay)ms after it wins"
        }
    }
}
