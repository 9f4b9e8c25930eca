/// The tunables of one Raft node; time is counted in ticks of the caller's clock.
public struct RaftConfig: Sendable, Hashable {
    /// This node's id.
    public var id: NodeID
    /// Minimum election timeout in ticks; each timeout is drawn from [electionTicks, 2 * electionTicks) (§5.2).
    public var electionTicks: Int
    /// Ticks between heartbeats; must be well below `electionTicks` (§5.6).
    public var heartbeatTicks: Int
    /// Seed of the node's deterministic random generator (election timeouts).
    public var randomSeed: UInt64
    /// Whether to poll with PreVote before starting an election (dissertation §9.6).
    public var preVote: Bool
    /// Whether a leader steps down when it has not heard from a quorum for an election timeout (§6.2).
    public var checkQuorum: Bool
    /// How `readIndex` confirms leadership.
    public var readMode: ReadMode
    /// Bound on clock drift between nodes, in ticks, subtracted from the lease (only used by `.lease`).
    public var leaseDriftTicks: Int
    /// Maximum entries in one AppendEntries message (batching).
    public var maxEntriesPerAppend: Int
    /// Maximum AppendEntries messages in flight to one follower (pipelining).
    public var maxInflightAppends: Int
    /// Maximum uncommitted proposals a leader accepts before refusing new ones.
    public var maxUncommittedEntries: Int
    /// Maximum reads waiting for leadership confirmation before `readIndex` refuses new ones.
    public var maxPendingReads: Int
    /// Maximum committed entries handed out in one `Ready`.
    public var maxCommittedEntriesPerReady: Int
    /// Deliberate protocol violations, settable only inside this package (tests and the simulator).
    package var faults: ProtocolFaults = []

    /// Creates a configuration with the defaults used by the simulator.
    public init(
        id: NodeID,
        electionTicks: Int = 10,
        heartbeatTicks: Int = 1,
        randomSeed: UInt64 = 0,
        preVote: Bool = true,
        checkQuorum: Bool = true,
        readMode: ReadMode = .readIndex,
        leaseDriftTicks: Int = 2,
        maxEntriesPerAppend: Int = 64,
        maxInflightAppends: Int = 8,
        maxUncommittedEntries: Int = 4096,
        maxPendingReads: Int = 4096,
        maxCommittedEntriesPerReady: Int = 4096
    ) {
        precondition(id != 0, "node id 0 is reserved")
        precondition(heartbeatTicks > 0 && electionTicks > heartbeatTicks, "need heartbeatTicks < electionTicks")
        self.id = id
        self.electionTicks = electionTicks
        self.heartbeatTicks = heartbeatTicks
        self.randomSeed = randomSeed
        self.preVote = preVote
        self.checkQuorum = checkQuorum
        self.readMode = readMode
        self.leaseDriftTicks = leaseDriftTicks
        self.maxEntriesPerAppend = maxEntriesPerAppend
        self.maxInflightAppends = maxInflightAppends
        self.maxUncommittedEntries = maxUncommittedEntries
        self.maxPendingReads = maxPendingReads
        self.maxCommittedEntriesPerReady = maxCommittedEntriesPerReady
    }

    /// How a leader confirms it is still leader before answering a read (dissertation §6.4).
    public enum ReadMode: Sendable, Hashable {
        /// ReadIndex: one heartbeat round acknowledged by a quorum per batch of reads.
        case readIndex
        /// Leader lease: no round trip while a quorum acknowledged a heartbeat less than
        /// `electionTicks - leaseDriftTicks` ticks ago. Safe only if every node's tick rate is within the drift
        /// bound of every other's, and requires `checkQuorum` (followers refuse votes while they hear a leader).
        case lease
    }
}
