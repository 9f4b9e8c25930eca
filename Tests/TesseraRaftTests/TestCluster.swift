import TesseraRaft
import XCTest

/// A tiny in-test cluster: synchronous delivery, optional link cuts, Ready handled as the contract says.
struct TestCluster {
    var nodes: [NodeID: RaftNode] = [:]
    var storages: [NodeID: MemoryRaftStorage] = [:]
    var applied: [NodeID: [LogEntry]] = [:]
    var readStates: [NodeID: [ReadState]] = [:]
    var cut: Set<[NodeID]> = []
    var inbox: [Message] = []
    var sent: [Message] = []
    var configure: (inout RaftConfig) -> Void = { _ in }
    /// Rewrites or drops (nil) a message before delivery, in addition to `cut`.
    var deliver: (Message) -> Message? = { $0 }

    init(voters: [NodeID], configure: @escaping (inout RaftConfig) -> Void = { _ in }) {
        self.configure = configure
        let membership = Membership(voters: voters)
        for id in voters { add(id, storage: MemoryRaftStorage(membership: membership)) }
    }

    mutating func add(_ id: NodeID, storage: MemoryRaftStorage) {
        var config = RaftConfig(id: id, randomSeed: 42)
        configure(&config)
        storages[id] = storage
        nodes[id] = RaftNode(config: config, storage: storage)
        applied[id] = []
    }

    /// Replaces a node by one restarted from its storage (unpersisted state is lost).
    mutating func restart(_ id: NodeID) {
        add(id, storage: storages[id]!)
    }

    mutating func isolate(_ id: NodeID) {
        for other in nodes.keys where other != id {
            cut.insert([id, other])
            cut.insert([other, id])
        }
    }

    mutating func heal() { cut = [] }

    /// Handles every node's Ready and delivers messages until the cluster is quiet.
    mutating func stabilize(maxRounds: Int = 10_000) {
        for _ in 0..<maxRounds {
            var progressed = false
            for id in nodes.keys.sorted() where nodes[id]!.hasReady {
                progressed = true
                handleReady(id)
            }
            if !inbox.isEmpty {
                progressed = true
                let batch = inbox
                inbox = []
                for message in batch where !cut.contains([message.from, message.to]) {
                    if let delivered = deliver(message) { nodes[delivered.to]?.step(delivered) }
                }
            }
            if !progressed { return }
        }
        XCTFail("cluster did not stabilize")
    }

    mutating func handleReady(_ id: NodeID) {
        let ready = nodes[id]!.ready()
        if let snapshot = ready.snapshot { storages[id]!.save(snapshot: snapshot) }
        storages[id]!.append(ready.entries)
        if let hardState = ready.hardState { storages[id]!.save(hardState: hardState) }
        inbox.append(contentsOf: ready.messages)
        sent.append(contentsOf: ready.messages)
        applied[id]!.append(contentsOf: ready.committedEntries)
        readStates[id, default: []].append(contentsOf: ready.readStates)
        nodes[id]!.advance(ready)
    }

    /// Makes `id` campaign at once (as TimeoutNow does) and runs the election to completion.
    mutating func elect(_ id: NodeID) {
        let term = nodes[id]!.term
        let other = nodes.keys.sorted().first { $0 != id } ?? id
        nodes[id]!.step(Message(from: other, to: id, term: term, kind: .timeoutNow))
        stabilize()
        XCTAssertEqual(nodes[id]!.role, .leader, "node \(id) was not elected")
    }

    /// Makes `id` campaign (as TimeoutNow does) up to `attempts` times, each in a new term, until it leads.
    mutating func campaignUntilLeader(_ id: NodeID, attempts: Int = 4) {
        for _ in 0..<attempts where nodes[id]!.role != .leader {
            let other = nodes.keys.sorted().first { $0 != id } ?? id
            nodes[id]!.step(Message(from: other, to: id, term: nodes[id]!.term, kind: .timeoutNow))
            stabilize()
        }
        XCTAssertEqual(nodes[id]!.role, .leader, "node \(id) was not elected")
    }

    /// Ticks `id` alone until it is leader (through PreVote when enabled).
    mutating func electByTicking(_ id: NodeID, maxTicks: Int = 200) {
        for _ in 0..<maxTicks {
            nodes[id]!.tick()
            stabilize()
            if nodes[id]!.role == .leader { return }
        }
        XCTFail("node \(id) was not elected")
    }

    /// Ticks every node once and stabilizes.
    mutating func tickAll(_ count: Int = 1) {
        for _ in 0..<count {
            for id in nodes.keys.sorted() { nodes[id]!.tick() }
            stabilize()
        }
    }

    func commands(appliedBy id: NodeID) -> [[UInt8]] {
        applied[id]!.compactMap {
            if case .command(let bytes) = $0.payload { return bytes }
            return nil
        }
    }
}

/// Builds a node directly from a log, for rule tests that need a specific history.
func makeNode(
    id: NodeID,
    voters: [NodeID],
    entries: [(index: LogIndex, term: Term)],
    term: Term,
    vote: NodeID? = nil,
    commit: LogIndex = 0,
    configure: (inout RaftConfig) -> Void = { _ in }
) -> RaftNode {
    var storage = MemoryRaftStorage(membership: Membership(voters: voters))
    storage.append(entries.map { LogEntry(term: $0.term, index: $0.index, payload: .command([UInt8($0.index)])) })
    storage.save(hardState: HardState(term: term, vote: vote, commit: commit))
    var config = RaftConfig(id: id, randomSeed: 7)
    configure(&config)
    return RaftNode(config: config, storage: storage)
}

/// Drains a node's Ready and returns it.
func drain(_ node: inout RaftNode) -> Ready {
    let ready = node.ready()
    node.advance(ready)
    return ready
}
