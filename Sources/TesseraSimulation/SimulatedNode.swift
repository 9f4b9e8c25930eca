import TesseraRaft

/// One simulated server: the Raft node (nil while crashed), its durable storage and its state machine.
struct SimulatedNode: Sendable {
    let id: NodeID
    var raft: RaftNode?
    var storage: MemoryRaftStorage
    var stateMachine: KVStateMachine
    /// Reads whose index is known, waiting for the state machine to catch up.
    var waitingReads: [ReadState] = []
    /// A crash armed to happen while handling the next batch of output.
    var crashArmed: CrashPoint?
    /// Phase of this node's tick within a tick interval, so nodes do not tick in lockstep.
    var tickPhaseMs: UInt64
    /// This node's tick period: clocks drift, within the bound the lease assumes.
    var tickPeriodMs: UInt64
    var incarnation = 0
    var lastRole: RaftRole = .follower
    var lastTerm: Term = 0

    var isUp: Bool { raft != nil }

    init(id: NodeID, membership: Membership, tickPhaseMs: UInt64, tickPeriodMs: UInt64) {
        self.id = id
        storage = MemoryRaftStorage(membership: membership)
        stateMachine = KVStateMachine()
        self.tickPhaseMs = tickPhaseMs
        self.tickPeriodMs = tickPeriodMs
    }
}
