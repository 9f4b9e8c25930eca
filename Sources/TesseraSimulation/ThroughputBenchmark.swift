import TesseraRaft

/// Measures committed entries per second through a fault-free in-memory cluster: every node persists to
/// `MemoryRaftStorage`, messages are delivered in order without delay, and all replicas apply every entry.
public enum ThroughputBenchmark {
    /// What one measurement found.
    public struct Result: Sendable {
        /// Entries committed and applied on every replica.
        public var entries: Int
        /// Wall-clock seconds between the first proposal and the last apply.
        public var seconds: Double
    }

    /// Proposes `entries` entries of `payloadBytes` bytes in batches of `batch` and times them; `clock` returns
    /// seconds from any monotonic origin (injected: the library and simulator never read a clock).
    public static func run(
        nodes count: Int,
        entries: Int,
        batch: Int,
        payloadBytes: Int,
        clock: () -> Double
    ) -> Result {
        let membership = Membership(voters: (1...count).map { NodeID($0) })
        var nodes: [RaftNode] = []
        var storages: [MemoryRaftStorage] = []
        var applied = [LogIndex](repeating: 0, count: count)
        for id in 1...count {
            let storage = MemoryRaftStorage(membership: membership)
            storages.append(storage)
            nodes.append(
                RaftNode(
                    config: RaftConfig(id: NodeID(id), randomSeed: UInt64(id), maxEntriesPerAppend: 256),
                    storage: storage
                )
            )
        }
        var inbox: [Message] = []
        func drain() {
            var progress = true
            while progress {
                progress = false
                for position in nodes.indices where nodes[position].hasReady {
                    progress = true
                    let ready = nodes[position].ready()
                    if let snapshot = ready.snapshot { storages[position].save(snapshot: snapshot) }
                    storages[position].append(ready.entries)
                    if let hardState = ready.hardState { storages[position].save(hardState: hardState) }
                    inbox.append(contentsOf: ready.messages)
                    if let last = ready.committedEntries.last { applied[position] = last.index }
                    nodes[position].advance(ready)
                    if applied[position] >= nodes[position].snapshot.index + 20_000 {
                        let snapshot = nodes[position].compact(through: applied[position], data: [])
                        storages[position].save(snapshot: snapshot)
                    }
                }
                if !inbox.isEmpty {
                    progress = true
                    let batch = inbox
                    inbox = []
                    for message in batch { nodes[Int(message.to - 1)].step(message) }
                }
            }
        }
        while !nodes.contains(where: { $0.role == .leader }) {
            for position in nodes.indices { nodes[position].tick() }
            drain()
        }
        let leader = nodes.firstIndex { $0.role == .leader }!
        let payload = [UInt8](repeating: 0xAB, count: payloadBytes)
        let start = clock()
        var proposed = 0
        var target: LogIndex = 0
        while proposed < entries {
            for _ in 0..<min(batch, entries - proposed) {
                target = try! nodes[leader].propose(payload)
                proposed += 1
            }
            drain()
        }
        drain()
        precondition(applied.allSatisfy { $0 >= target }, "benchmark did not apply everything")
        return Result(entries: entries, seconds: clock() - start)
    }
}
