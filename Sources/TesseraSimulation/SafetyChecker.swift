import TesseraRaft

/// Checks Raft's safety properties (Figure 3 of the paper) incrementally, as the simulation runs.
struct SafetyChecker: Sendable {
    /// The leader observed in each term.
    private var leaders: [Term: NodeID] = [:]
    /// Every entry applied anywhere: index -> (term, payload digest).
    private(set) var applied: [LogIndex: (term: Term, digest: UInt64)] = [:]
    private(set) var highestApplied: LogIndex = 0
    /// Digest of the log prefix ending at (index, term), shared by all nodes (log matching).
    private var prefixDigests: [LogPosition: UInt64] = [:]
    /// Per node: digests of its log prefix, `mirrors[i][k]` for index `mirrorBase[i] + k`.
    private var mirrors: [NodeID: [UInt64]] = [:]
    private var mirrorBase: [NodeID: LogIndex] = [:]
    private var commits: [NodeID: LogIndex] = [:]

    private struct LogPosition: Hashable {
        var index: LogIndex
        var term: Term
    }

    static func digest(_ payload: LogEntry.Payload) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        switch payload {
        case .noop: mix(1)
        case .command(let bytes):
            mix(2)
            for byte in bytes { mix(byte) }
        case .membership(let membership):
            mix(3)
            for id in membership.voters {
                for shift in stride(from: 0, to: 64, by: 8) { mix(UInt8(truncatingIfNeeded: id >> UInt64(shift))) }
            }
            mix(4)
            for id in membership.learners {
                for shift in stride(from: 0, to: 64, by: 8) { mix(UInt8(truncatingIfNeeded: id >> UInt64(shift))) }
            }
        }
        return hash
    }

    private static func chain(_ previous: UInt64, _ entry: LogEntry) -> UInt64 {
        var hash = previous ^ 0x9E37_79B9_7F4A_7C15
        hash = (hash ^ entry.term) &* 0xBF58_476D_1CE4_E5B9
        hash = (hash ^ entry.index) &* 0x94D0_49BB_1331_11EB
        hash = (hash ^ digest(entry.payload)) &* 0xBF58_476D_1CE4_E5B9
        return hash ^ (hash >> 31)
    }

    /// Election safety: "at most one leader can be elected in a given term" (§5.2).
    mutating func observeRole(of node: RaftNode) throws(SimulationFailure) {
        guard node.role == .leader else { return }
        if let existing = leaders[node.term] {
            if existing != node.config.id {
                throw SimulationFailure(
                    .electionSafety, "nodes \(existing) and \(node.config.id) both lead term \(node.term)")
            }
            return
        }
        leaders[node.term] = node.config.id
        // Leader completeness: "if a log entry is committed in a given term, then that entry will be present in
        // the logs of the leaders for all higher-numbered terms" (§5.4).
        guard highestApplied > node.snapshot.index else { return }
        for index in (node.snapshot.index + 1)...highestApplied {
            guard let record = applied[index] else { continue }
            guard let term = node.term(at: index), term == record.term,
                Self.digest(node.entry(at: index).payload) == record.digest
            else {
                throw SimulationFailure(
                    .leaderCompleteness,
                    "leader \(node.config.id) of term \(node.term) lacks committed entry \(index) (term \(record.term))"
                )
            }
        }
    }

    /// Commit index monotonic within one incarnation of a node.
    mutating func observeCommit(of node: RaftNode) throws(SimulationFailure) {
        let id = node.config.id
        if let previous = commits[id], node.commitIndex < previous {
            throw SimulationFailure(
                .commitRegressed, "node \(id) commit index went from \(previous) to \(node.commitIndex)")
        }
        commits[id] = node.commitIndex
    }

    /// Forgets a crashed node's in-memory commit index (a restart may resume from the persisted one).
    mutating func nodeRestarted(_ node: RaftNode) throws(SimulationFailure) {
        commits[node.config.id] = node.commitIndex
        try rebuildMirror(of: node)
    }

    /// State machine safety: "if a server has applied a log entry at a given index to its state machine, no
    /// other server will ever apply a different log entry for the same index" (§5.4.3).
    mutating func observeApply(_ entry: LogEntry, by id: NodeID) throws(SimulationFailure) {
        let digest = Self.digest(entry.payload)
        if let record = applied[entry.index] {
            if record.term != entry.term || record.digest != digest {
                throw SimulationFailure(
                    .stateMachineSafety,
                    "node \(id) applied term \(entry.term) at index \(entry.index); another node applied term \(record.term)"
                )
            }
            return
        }
        applied[entry.index] = (entry.term, digest)
        highestApplied = max(highestApplied, entry.index)
    }

    /// A snapshot installed on `id` must describe committed history.
    mutating func observeSnapshot(_ snapshot: Snapshot, on id: NodeID) throws(SimulationFailure) {
        if let record = applied[snapshot.index], record.term != snapshot.term {
            throw SimulationFailure(
                .stateMachineSafety,
                "node \(id) installed snapshot \(snapshot.index)@\(snapshot.term); entry applied there has term \(record.term)"
            )
        }
        mirrorBase[id] = snapshot.index
        mirrors[id] = [prefixDigests[LogPosition(index: snapshot.index, term: snapshot.term)] ?? 0]
    }

    /// Log matching (§5.3): entries with equal index and term have identical prefixes on every node.
    mutating func observeAppend(_ entries: [LogEntry], on id: NodeID) throws(SimulationFailure) {
        guard let first = entries.first else { return }
        var mirror = mirrors[id] ?? [0]
        let base = mirrorBase[id] ?? 0
        let keep = Int(first.index - base)
        precondition(keep >= 1 && keep <= mirror.count, "append leaves a gap in node \(id)'s log")
        mirror.removeSubrange(keep...)
        for entry in entries {
            let digest = Self.chain(mirror.last!, entry)
            let position = LogPosition(index: entry.index, term: entry.term)
            if let known = prefixDigests[position], known != digest {
                throw SimulationFailure(
                    .logMatching,
                    "node \(id) has entry \(entry.index)@\(entry.term) with a prefix differing from another node's"
                )
            }
            prefixDigests[position] = digest
            mirror.append(digest)
        }
        mirrors[id] = mirror
    }

    private mutating func rebuildMirror(of node: RaftNode) throws(SimulationFailure) {
        let id = node.config.id
        let snapshot = node.snapshot
        mirrorBase[id] = snapshot.index
        var mirror = [prefixDigests[LogPosition(index: snapshot.index, term: snapshot.term)] ?? 0]
        if node.lastIndex >= node.firstIndex {
            for index in node.firstIndex...node.lastIndex {
                let entry = node.entry(at: index)
                let digest = Self.chain(mirror.last!, entry)
                let position = LogPosition(index: entry.index, term: entry.term)
                if let known = prefixDigests[position], known != digest {
                    throw SimulationFailure(.logMatching, "node \(id) restarted with entry \(index)@\(entry.term) off")
                }
                prefixDigests[position] = digest
                mirror.append(digest)
            }
        }
        mirrors[id] = mirror
    }
}
