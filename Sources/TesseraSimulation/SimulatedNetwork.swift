import TesseraRaft

/// The simulated network: per-message loss, duplication and delay (which reorders), plus partitions that may be
/// asymmetric. All randomness comes from the run's generator.
struct SimulatedNetwork: Sendable {
    private struct Link: Hashable {
        var from: NodeID
        var to: NodeID
    }

    /// Probability that a message is lost.
    var dropRate: Double
    /// Probability that a message is delivered twice.
    var duplicateRate: Double
    /// Probability that a message takes a long path (and so overtakes or is overtaken).
    var slowRate: Double
    private var blocked: Set<Link> = []

    init(dropRate: Double, duplicateRate: Double, slowRate: Double) {
        self.dropRate = dropRate
        self.duplicateRate = duplicateRate
        self.slowRate = slowRate
    }

    var isPartitioned: Bool { !blocked.isEmpty }

    /// Blocks messages from `from` to `to` (one direction).
    mutating func block(from: NodeID, to: NodeID) {
        blocked.insert(Link(from: from, to: to))
    }

    /// Removes every partition.
    mutating func heal() {
        blocked.removeAll()
    }

    /// Whether a message may currently pass from `from` to `to`.
    func canDeliver(from: NodeID, to: NodeID) -> Bool {
        !blocked.contains(Link(from: from, to: to))
    }

    /// The delivery delays (ms) of one sent message: empty if lost, two if duplicated.
    func delays(random: inout SimulationRandom) -> [UInt64] {
        if random.chance(dropRate) { return [] }
        var out = [delay(random: &random)]
        if random.chance(duplicateRate) { out.append(delay(random: &random)) }
        return out
    }

    private func delay(random: inout SimulationRandom) -> UInt64 {
        random.chance(slowRate) ? UInt64(random.int(in: 10...60)) : UInt64(random.int(in: 1...5))
    }
}
