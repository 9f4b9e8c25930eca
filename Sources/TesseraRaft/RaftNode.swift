/// One member of a Raft group as a deterministic state machine: it decides and never waits.
///
/// The caller feeds it `tick()`, `step(_:)` and client requests, then drains `ready()`, persists, sends and
/// applies what it says, and calls `advance(_:)`. Nothing here reads a clock, sleeps, or does I/O.
public struct RaftNode: Sendable {
    /// This node's configuration.
    public let config: RaftConfig
    var log: RaftLog
    /// The current term.
    public internal(set) var term: Term
    /// The candidate voted for in `term`.
    public internal(set) var vote: NodeID?
    /// The current role.
    public internal(set) var role: RaftRole = .follower
    /// The leader of `term`, if known.
    public internal(set) var leader: NodeID?

    var random: SplitMix64
    var ticks: UInt64 = 0
    var electionElapsed = 0
    var heartbeatElapsed = 0
    var randomizedElectionTimeout = 0
    /// With leases, set after a (re)start until one election timeout passes: votes are refused as if a leader were
    /// known, so a restarted node cannot help depose a leader whose lease it may have granted before the crash.
    var startupQuiet: Bool
    var votes: [NodeID: Bool] = [:]
    var progress: [NodeID: Progress] = [:]
    var leadTransferee: NodeID?
    var leaseDisabled = false
    var heartbeatRound: UInt64 = 0
    var roundTicks: [UInt64: UInt64] = [:]
    var leaseStartTick: UInt64?
    var pendingReads: [PendingRead] = []
    var needsBroadcast = false
    var messages: [Message] = []
    var readStates: [ReadState] = []
    var lastHardState: HardState
    var awaitingAdvance = false

    /// Restores a node from `storage` (a new group's members start from a snapshot holding the membership).
    public init(config: RaftConfig, storage: some RaftStorage) {
        self.config = config
        log = RaftLog(storage: storage)
        term = storage.hardState.term
        vote = storage.hardState.vote
        random = SplitMix64(seed: config.randomSeed ^ (config.id &* 0x9E37_79B9_7F4A_7C15))
        lastHardState = storage.hardState
        startupQuiet = config.readMode == .lease
        resetElectionTimer()
    }

    // MARK: - Inspection

    /// The highest committed index.
    public var commitIndex: LogIndex { log.committed }
    /// The highest index handed out for applying.
    public var appliedIndex: LogIndex { log.applied }
    /// The index of the last log entry.
    public var lastIndex: LogIndex { log.lastIndex }
    /// The index of the first entry still in the log (the snapshot's index + 1).
    public var firstIndex: LogIndex { log.firstIndex }
    /// The latest snapshot.
    public var snapshot: Snapshot { log.snapshot }
    /// The membership in effect (the latest in the log, committed or not).
    public var membership: Membership { log.membership }
    /// The term of the entry at `index`, or nil if compacted or absent.
    public func term(at index: LogIndex) -> Term? { log.term(at: index) }
    /// The entry at `index`, which must lie in `firstIndex...lastIndex`.
    public func entry(at index: LogIndex) -> LogEntry { log.entry(at: index) }
    /// The current hard state.
    public var hardState: HardState { HardState(term: term, vote: vote, commit: log.committed) }
    /// The follower's replication match index as seen by this leader (nil if not leader or unknown).
    public func matchIndex(of id: NodeID) -> LogIndex? { progress[id]?.match }
    /// Whether this node may campaign: it is a voter in the membership it knows.
    public var isPromotable: Bool { log.membership.isVoter(config.id) }

    // MARK: - Time

    /// Advances logical time by one tick.
    public mutating func tick() {
        precondition(!awaitingAdvance, "tick before advance")
        ticks += 1
        if role == .leader {
            tickLeader()
        } else {
            electionElapsed += 1
            if electionElapsed >= config.electionTicks { startupQuiet = false }
            if isPromotable, electionElapsed >= randomizedElectionTimeout {
                electionElapsed = 0
                campaign(preVote: config.preVote, transfer: false)
            }
        }
    }

    private mutating func tickLeader() {
        heartbeatElapsed += 1
        electionElapsed += 1
        if electionElapsed >= config.electionTicks {
            electionElapsed = 0
            if config.checkQuorum {
                // §6.2: a leader that cannot reach a quorum for an election timeout steps down.
                var active = membership.isVoter(config.id) ? 1 : 0
                for id in membership.voters where id != config.id && progress[id]?.recentActive == true {
                    active += 1
                }
                for id in progress.keys.sorted() { progress[id]!.recentActive = false }
                if active < membership.quorum {
                    becomeFollower(term: term, leader: nil)
                    return
                }
            }
            // Dissertation §3.10: abort a transfer that did not finish within an election timeout.
            leadTransferee = nil
        }
        if heartbeatElapsed >= config.heartbeatTicks {
            heartbeatElapsed = 0
            broadcastHeartbeat()
        }
    }

    func send(_ kind: Message.Kind, to: NodeID, term messageTerm: Term? = nil) -> Message {
        Message(from: config.id, to: to, term: messageTerm ?? term, kind: kind)
    }

    mutating func resetElectionTimer() {
        electionElapsed = 0
        randomizedElectionTimeout = config.electionTicks + Int(random.next() % UInt64(config.electionTicks))
    }

    // MARK: - Ready

    /// Whether `ready()` would return work.
    public var hasReady: Bool {
        needsBroadcast || !messages.isEmpty || !readStates.isEmpty || hardState != lastHardState
            || log.unstableFrom <= log.lastIndex || log.snapshotPending || log.committed > log.applied
            || pendingReads.contains { $0.round == 0 && role == .leader && committedInCurrentTerm }
    }

    /// Hands out everything to persist, send and apply (see `Ready` for the order); call `advance(_:)` after
    /// handling it, and do not tick, step or propose in between.
    public mutating func ready() -> Ready {
        precondition(!awaitingAdvance, "ready called twice without advance")
        if role == .leader {
            scheduleReadRounds()
            if needsBroadcast { broadcastAppend(sendIfEmpty: false) }
        }
        needsBroadcast = false
        let hard = hardState
        var batch = Ready(
            hardState: hard == lastHardState ? nil : hard,
            entries: log.takeUnstable(),
            snapshot: nil,
            committedEntries: [],
            messages: messages,
            readStates: readStates,
            role: role,
            leader: leader
        )
        if log.snapshotPending {
            batch.snapshot = log.snapshot
            log.snapshotPending = false
        }
        batch.committedEntries = log.takeCommitted(maxCount: config.maxCommittedEntriesPerReady)
        messages = []
        readStates = []
        lastHardState = hard
        awaitingAdvance = true
        return batch
    }

    /// Acknowledges that `ready` was persisted, sent and applied.
    public mutating func advance(_ ready: Ready) {
        precondition(awaitingAdvance, "advance without ready")
        awaitingAdvance = false
    }

    /// Replaces the log up to `index` (already applied) with a snapshot of the state machine holding `data`.
    /// Returns the snapshot for the caller to persist with `RaftStorage.save(snapshot:)`.
    public mutating func compact(through index: LogIndex, data: [UInt8]) -> Snapshot {
        log.compact(through: index, data: data)
    }
}
