import Foundation
import TesseraCore

/// Prints, as markdown, how balanced a `ConsistentHashRing` is and how much moves when nodes join and leave:
/// nodes n1…n8, V = 128, for the sequence 3 → 4 → 8 → 7 nodes (the last step removes n5).

let tokensPerNode = 128
let steps: [(label: String, ids: [String])] = [
    ("3 nodes", ["n1", "n2", "n3"]),
    ("+n4 → 4", ["n1", "n2", "n3", "n4"]),
    ("+n5…n8 → 8", ["n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8"]),
    ("−n5 → 7", ["n1", "n2", "n3", "n4", "n6", "n7", "n8"]),
]

func ring(_ ids: [String], partitions: Int) -> ConsistentHashRing {
    let members = ids.map { RingMember(id: $0, region: "r1") }
    return ConsistentHashRing(members: members, partitions: partitions, tokensPerNode: tokensPerNode)
}

func format(_ value: Double) -> String {
    String(format: "%.3f", value)
}

/// Replica slots that moved: members of a partition's new replica set that were not in its old set.
func movedSlots(from old: ConsistentHashRing, to new: ConsistentHashRing, replicas: Int) -> Int {
    (0..<old.partitions).reduce(0) { total, partition in
        let before = Set(old.replicas(of: partition, count: replicas))
        return total + new.replicas(of: partition, count: replicas).filter { !before.contains($0) }.count
    }
}

print("# ring-balance")
print()
print("V = \(tokensPerNode) tokens per node; balance = max replica-partitions per node / mean.")
print("Moved partitions = partitions whose replica set changed / Q; moved slots = replica slots whose")
print("node is new to the partition / (Q·N). Ideal slots = the share of slots that must move with perfect")
print("balance: k/(n+k) when k nodes join n, k/n when k of n leave.")
for partitions in [64, 256] {
    for replicas in [3, 1] {
        print()
        print("## Q = \(partitions), N = \(replicas)")
        print()
        print("| step | nodes | balance | moved partitions | moved slots | ideal slots |")
        print("|---|---|---|---|---|---|")
        var previous: (ring: ConsistentHashRing, count: Int)?
        for step in steps {
            let current = ring(step.ids, partitions: partitions)
            let balance = format(current.balance(replicas: replicas))
            var moved = "–"
            var slots = "–"
            var ideal = "–"
            if let previous {
                let partitionsMoved = ConsistentHashRing.moved(from: previous.ring, to: current, replicas: replicas)
                moved = format(Double(partitionsMoved.count) / Double(partitions))
                let slotCount = movedSlots(from: previous.ring, to: current, replicas: replicas)
                let totalSlots = partitions * min(replicas, step.ids.count)
                slots = format(Double(slotCount) / Double(totalSlots))
                let before = previous.count
                let after = step.ids.count
                let idealShare =
                    after > before
                    ? Double(after - before) / Double(after) : Double(before - after) / Double(before)
                ideal = format(idealShare)
            }
            print("| \(step.label) | \(step.ids.count) | \(balance) | \(moved) | \(slots) | \(ideal) |")
            previous = (current, step.ids.count)
        }
    }
}
