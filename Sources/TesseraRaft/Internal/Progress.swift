/// The leader's view of one follower's replication (etcd's `Progress`, §5.3 `nextIndex`/`matchIndex`).
struct Progress: Sendable {
    /// How the leader currently talks to the follower.
    enum Mode: Sendable, Hashable {
        /// Finding the match point: one append at a time, paused until answered.
        case probe
        /// Streaming: up to `maxInflightAppends` appends pipelined optimistically.
        case replicate
        /// Waiting for an InstallSnapshot of `index` to be acknowledged.
        case snapshot(index: LogIndex)
    }

    /// Highest index known to match the leader's log.
    var match: LogIndex = 0
    /// Next index to send.
    var next: LogIndex
    /// Current mode.
    var mode: Mode = .probe
    /// In probe mode: an append is outstanding.
    var probeSent = false
    /// Last indexes of appends in flight, oldest first (replicate mode).
    var inflight: [LogIndex] = []
    /// Whether the follower answered since the last CheckQuorum round.
    var recentActive = false
    /// Highest heartbeat round the follower acknowledged (ReadIndex and leases).
    var ackedRound: UInt64 = 0
    /// Tick at which a snapshot was last sent, to throttle resends.
    var snapshotSentTick: UInt64 = 0

    init(next: LogIndex) {
        self.next = next
    }

    /// Whether the leader must hold back new appends to this follower.
    func isPaused(maxInflight: Int) -> Bool {
        switch mode {
        case .probe: return probeSent
        case .replicate: return inflight.count >= maxInflight
        case .snapshot: return true
        }
    }

    mutating func becomeProbe() {
        if case .snapshot(let index) = mode {
            next = max(match + 1, index + 1)
        } else {
            next = match + 1
        }
        mode = .probe
        probeSent = false
        inflight = []
    }

    mutating func becomeReplicate() {
        mode = .replicate
        next = match + 1
        inflight = []
        probeSent = false
    }

    /// Records a successful acknowledgement up to `index`; returns whether `match` advanced.
    mutating func acknowledge(_ index: LogIndex) -> Bool {
        let advanced = index > match
        if advanced { match = index }
        next = max(next, index + 1)
        inflight.removeAll { $0 <= index }
        probeSent = false
        return advanced
    }
}
