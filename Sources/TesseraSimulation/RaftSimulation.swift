import TesseraRaft

/// One deterministic run of a Raft cluster under injected faults, driven entirely by a seed.
public struct RaftSimulation: Sendable {
    enum Event: Sendable {
        case tick(NodeID)
        case deliver(Message)
        case fault(Int)
        case heal
        case checkLeader
        case clientIssue(Int)
        case clientRetry(Int, UInt64)
        case clientTimeout(Int, UInt64)
        case crash(NodeID, Int)
    }

    /// The seed of the run.
    public let seed: UInt64
    /// The run's options.
    public let options: SimulationOptions
    /// The faults this run injects (a shrunk run uses a subset).
    public let schedule: [FaultEvent]

    var random: SimulationRandom
    var clientRandom: SimulationRandom
    var queue = EventQueue<Event>()
    var network: SimulatedNetwork
    var nodes: [SimulatedNode] = []
    var clients: [SimulatedClient] = []
    var history: [HistoryOperation<KVInput, KVOutput>] = []
    var discarded: [Bool] = []
    var checker = SafetyChecker()
    var now: UInt64 = 0
    var steps = 0
    var healed = false
    var historyClock: UInt64 = 0
    var readMode: RaftConfig.ReadMode
    /// Batching and pipelining limits drawn per seed; small batches split appends, which Figure 8 needs.
    let maxEntriesPerAppend: Int
    let maxInflightAppends: Int
    var trace: [String]?
    var leaderCrashDelayMs: UInt64?
    var stats = SimulationStats()

    var healTime: UInt64 { options.chaosMs }
    var endTime: UInt64 { options.chaosMs + options.settleMs }

    /// Prepares a run; `schedule` overrides the seed's own fault schedule (used when shrinking).
    public init(seed: UInt64, options: SimulationOptions, schedule: [FaultEvent]? = nil, recordTrace: Bool = false) {
        self.seed = seed
        self.options = options
        self.schedule = schedule ?? Self.defaultSchedule(seed: seed, options: options)
        random = SimulationRandom(seed: seed)
        clientRandom = SimulationRandom(seed: seed ^ 0xC11E)
        var networkRandom = SimulationRandom(seed: seed ^ 0x0E7)
        network = SimulatedNetwork(
            dropRate: networkRandom.chance(0.7) ? Double(networkRandom.int(in: 0...15)) / 100 : 0,
            duplicateRate: networkRandom.chance(0.5) ? Double(networkRandom.int(in: 0...10)) / 100 : 0,
            slowRate: Double(networkRandom.int(in: 0...20)) / 100
        )
        readMode = options.readMode ?? (networkRandom.chance(0.5) ? .readIndex : .lease)
        maxEntriesPerAppend = networkRandom.pick([1, 2, 4, 16, 64])
        maxInflightAppends = networkRandom.pick([1, 2, 4, 8])
        trace = recordTrace ? [] : nil
    }

    /// The fault schedule the seed draws, for reports and shrinking.
    public static func defaultSchedule(seed: UInt64, options: SimulationOptions) -> [FaultEvent] {
        var faultRandom = SimulationRandom(seed: seed ^ 0xFA17)
        return FaultEvent.schedule(options: options, random: &faultRandom)
    }

    /// Runs to the end; returns statistics or throws the first property violation.
    public mutating func run() throws(SimulationFailure) -> SimulationStats {
        setUp()
        while let (time, event) = queue.pop() {
            guard time <= endTime else { break }
            now = time
            steps += 1
            do {
                try handle(event)
            } catch {
                var failure = error
                failure.timeMs = now
                failure.step = steps
                throw failure
            }
        }
        try finish()
        stats.events = steps
        return stats
    }

    /// The trace of a run made with `recordTrace`.
    public var traceLines: [String] { trace ?? [] }

    mutating func record(_ line: @autoclosure () -> String) {
        if trace != nil { trace!.append("t=\(now)ms \(line())") }
    }

    private mutating func setUp() {
        let membership = Membership(voters: (1...options.nodes).map { NodeID($0) })
        for _ in 0..<options.nodes {
            addNode(membership: membership, phase: UInt64(random.int(in: 0...Int(options.tickMs - 1))))
        }
        for position in schedule.indices { queue.push(.fault(position), at: schedule[position].timeMs) }
        queue.push(.heal, at: healTime)
        queue.push(.checkLeader, at: healTime + options.leaderBoundMs)
        for client in 0..<options.clients {
            clients.append(SimulatedClient(id: client, target: NodeID(client % options.nodes + 1)))
            queue.push(.clientIssue(client), at: UInt64(random.int(in: 50...150)))
        }
    }

    /// Adds and starts a node; new members join with an empty membership and learn it from the leader.
    @discardableResult
    mutating func addNode(membership: Membership, phase: UInt64) -> NodeID {
        let id = NodeID(nodes.count + 1)
        let drift = Int(options.clockDriftMs)
        let period = UInt64(Int(options.tickMs) + random.int(in: -drift...drift))
        nodes.append(SimulatedNode(id: id, membership: membership, tickPhaseMs: phase, tickPeriodMs: period))
        start(id)
        queue.push(.tick(id), at: now + phase + period)
        return id
    }

    mutating func start(_ id: NodeID) {
        let position = Int(id - 1)
        var config = RaftConfig(
            id: id,
            electionTicks: 10,
            heartbeatTicks: 2,
            randomSeed: seed &+ id &* 0x1000 &+ UInt64(nodes[position].incarnation),
            readMode: readMode,
            leaseDriftTicks: options.leaseDriftTicks,
            maxEntriesPerAppend: maxEntriesPerAppend,
            maxInflightAppends: maxInflightAppends
        )
        config.faults = options.faults
        nodes[position].incarnation += 1
        nodes[position].raft = RaftNode(config: config, storage: nodes[position].storage)
        nodes[position].stateMachine = KVStateMachine(snapshot: nodes[position].storage.snapshot)
        nodes[position].waitingReads = []
        nodes[position].crashArmed = nil
    }

    private mutating func handle(_ event: Event) throws(SimulationFailure) {
        switch event {
        case .tick(let id):
            queue.push(.tick(id), at: now + nodes[Int(id - 1)].tickPeriodMs)
            guard nodes[Int(id - 1)].isUp else { return }
            nodes[Int(id - 1)].raft!.tick()
            try drive(id)
        case .deliver(let message):
            guard Int(message.to) <= nodes.count, nodes[Int(message.to - 1)].isUp,
                network.canDeliver(from: message.from, to: message.to)
            else { return }
            nodes[Int(message.to - 1)].raft!.step(message)
            try drive(message.to)
        case .fault(let position):
            try inject(schedule[position].action)
        case .heal:
            healed = true
            stats.healClock = historyClock
            network.heal()
            network.dropRate = 0
            network.duplicateRate = 0
            record("heal: network healed, crashed nodes restart")
            for position in nodes.indices { nodes[position].crashArmed = nil }
            for node in nodes where !node.isUp { try restart(node.id) }
        case .checkLeader:
            guard nodes.contains(where: { $0.raft?.role == .leader }) else {
                throw SimulationFailure(.liveness, "no leader \(options.leaderBoundMs)ms after the faults healed")
            }
        case .clientIssue(let client):
            try issue(client)
        case .clientRetry(let client, let sequence):
            guard clients[client].sequence == sequence, let pending = clients[client].pending else { return }
            if let node = pending.node, let hint = nodes[Int(node - 1)].raft?.leader { clients[client].target = hint }
            try attempt(client)
        case .clientTimeout(let client, let sequence):
            guard clients[client].sequence == sequence, clients[client].pending != nil else { return }
            giveUp(client, reason: "timeout")
        case .crash(let id, let incarnation):
            guard !healed, nodes[Int(id - 1)].isUp, nodes[Int(id - 1)].incarnation == incarnation else { return }
            crash(id, at: .idle)
        }
    }

    private mutating func finish() throws(SimulationFailure) {
        now = endTime
        for client in clients.indices where clients[client].pending != nil {
            let pending = clients[client].pending!
            if history[pending.historyIndex].invoke >= stats.healClock {
                throw SimulationFailure(
                    .liveness,
                    "client \(client) \(pending.input) invoked after the heal did not complete within \(options.settleMs)ms",
                    timeMs: now,
                    step: steps
                )
            }
            giveUp(client, reason: "end of run")
        }
        var kept: [HistoryOperation<KVInput, KVOutput>] = []
        for (position, operation) in history.enumerated() where !discarded[position] { kept.append(operation) }
        stats.operations = kept.count
        stats.unknownOutcomes = kept.filter { $0.complete == nil }.count
        stats.committedEntries = checker.highestApplied
        let verdict = KVModel.check(kept)
        stats.linearizabilityInconclusive = verdict.result == .inconclusive
        if verdict.result == .notLinearizable {
            let key = verdict.key!
            let ops = kept.filter { $0.input.key == key }.map {
                "c\($0.client):\($0.input)\($0.output.map { "\($0)" } ?? "?")[\($0.invoke),\($0.complete.map { "\($0)" } ?? "∞")]"
            }
            throw SimulationFailure(
                .linearizability,
                "history of key \(key) is not linearizable: \(ops.suffix(12).joined(separator: " "))",
                timeMs: now,
                step: steps
            )
        }
    }
}
