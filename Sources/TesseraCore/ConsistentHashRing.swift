/// A node taking part in a ``ConsistentHashRing``: its unique id and the region it runs in.
public struct RingMember: Sendable, Hashable {
    /// The node's unique id; its ring tokens are derived from it.
    public var id: String
    /// The region (or zone) the node runs in, for region-filtered replica lookups.
    public var region: String

    /// Creates a member with the given id and region.
    public init(id: String, region: String) {
        self.id = id
        self.region = region
    }
}

/// Places a fixed number of partitions on nodes with consistent hashing over the 64-bit ring.
///
/// - Every node owns `tokensPerNode` tokens: token `i` of node `id` is
///   `XXHash64.hash("\(id)#\(i)", seed: ConsistentHashRing.tokenSeed)`.
/// - Partition `p` of `Q` sits at ring position `floor(p * 2^64 / Q)` (exact for every `Q`).
/// - Its replicas are the first distinct nodes met walking clockwise from that position: starting at the first
///   token `>=` the position and wrapping past `UInt64.max` to the smallest token.
/// - Tokens equal between (or within) nodes are ordered by member id, so placement is deterministic.
///
/// Members are deduplicated by id (the first occurrence wins) and kept sorted by id.
public struct ConsistentHashRing: Sendable {
    /// The seed of the token hash: the ASCII bytes of "tessera".
    public static let tokenSeed: UInt64 = 0x7465_7373_6572_61

    /// The number of partitions `Q` (1 to 65536).
    public let partitions: Int
    /// The number of tokens `V` every node owns on the ring.
    public let tokensPerNode: Int

    private let sortedMembers: [RingMember]
    /// Every token with the index of its owner in `sortedMembers`, sorted by (token, member index).
    private let tokens: [RingToken]

    /// Creates a ring of `partitions` partitions over `members`, each owning `tokensPerNode` tokens.
    public init(members: [RingMember], partitions: Int, tokensPerNode: Int = 128) {
        precondition(partitions >= 1 && partitions <= 65536, "partition count out of range")
        precondition(tokensPerNode >= 1, "a node needs at least one token")
        self.partitions = partitions
        self.tokensPerNode = tokensPerNode
        var seen = Set<String>()
        let unique = members.filter { seen.insert($0.id).inserted }
        sortedMembers = unique.sorted { $0.id < $1.id }
        var tokens: [RingToken] = []
        tokens.reserveCapacity(sortedMembers.count * tokensPerNode)
        for (index, member) in sortedMembers.enumerated() {
            for i in 0..<tokensPerNode {
                tokens.append(RingToken(value: Self.token(of: member.id, index: i), member: index))
            }
        }
        tokens.sort()
        self.tokens = tokens
    }

    /// The members of the ring, sorted by id.
    public var members: [RingMember] { sortedMembers }

    /// Token `index` of the node `id`: `XXHash64.hash("\(id)#\(index)", seed: tokenSeed)`.
    public static func token(of id: String, index: Int) -> UInt64 {
        XXHash64.hash("\(id)#\(index)", seed: tokenSeed)
    }

    /// The ring position of `partition`: `floor(partition * 2^64 / partitions)`.
    public func position(of partition: Int) -> UInt64 {
        precondition(partition >= 0 && partition < partitions, "partition out of range")
        // partition < partitions, so the quotient fits in 64 bits.
        return UInt64(partitions).dividingFullWidth((high: UInt64(partition), low: 0)).quotient
    }

    /// The first `count` distinct node ids clockwise from `partition`'s position; fewer when the ring has
    /// fewer nodes, `[]` for an empty ring.
    public func replicas(of partition: Int, count: Int) -> [String] {
        walk(from: partition, count: count, available: sortedMembers.count) { _ in true }
    }

    /// The first `count` distinct ids of nodes in `region` clockwise from `partition`'s position; fewer when
    /// the region has fewer nodes.
    public func replicas(of partition: Int, count: Int, region: String) -> [String] {
        let available = sortedMembers.reduce(0) { $0 + ($1.region == region ? 1 : 0) }
        return walk(from: partition, count: count, available: available) { sortedMembers[$0].region == region }
    }

    /// `replicas(of: p, count: replicas)` for every partition `p`, in partition order.
    public func placement(replicas: Int) -> [[String]] {
        (0..<partitions).map { self.replicas(of: $0, count: replicas) }
    }

    /// Partitions whose replica set (as a set, for `replicas` copies) differs between two rings with the
    /// same number of partitions.
    public static func moved(from old: ConsistentHashRing, to new: ConsistentHashRing, replicas: Int) -> [Int] {
        precondition(old.partitions == new.partitions, "rings have different partition counts")
        return (0..<old.partitions).filter {
            Set(old.replicas(of: $0, count: replicas)) != Set(new.replicas(of: $0, count: replicas))
        }
    }

    /// Balance: the most replica-partitions any node holds divided by the mean over all members, for
    /// `replicas` copies; 1 is perfect, 0 for an empty ring.
    public func balance(replicas: Int) -> Double {
        guard !sortedMembers.isEmpty else { return 0 }
        var held: [String: Int] = [:]
        for replicaSet in placement(replicas: replicas) {
            for id in replicaSet { held[id, default: 0] += 1 }
        }
        let total = held.values.reduce(0, +)
        guard total > 0, let most = held.values.max() else { return 0 }
        let mean = Double(total) / Double(sortedMembers.count)
        return Double(most) / mean
    }

    /// Walks clockwise from `partition`'s position collecting up to `count` distinct members that satisfy
    /// `accepts`; `available` is how many members could satisfy it, so the walk can stop early.
    private func walk(
        from partition: Int, count: Int, available: Int, accepts: (Int) -> Bool
    ) -> [String] {
        let target = min(count, available)
        guard target > 0 else { return [] }
        let start = firstToken(atOrAfter: position(of: partition))
        var chosen = [Bool](repeating: false, count: sortedMembers.count)
        var result: [String] = []
        result.reserveCapacity(target)
        for step in 0..<tokens.count {
            let member = tokens[(start + step) % tokens.count].member
            guard !chosen[member], accepts(member) else { continue }
            chosen[member] = true
            result.append(sortedMembers[member].id)
            if result.count == target { break }
        }
        return result
    }

    /// The index of the first token `>= position`, or 0 (wrapping around) when every token is smaller.
    private func firstToken(atOrAfter position: UInt64) -> Int {
        var low = 0
        var high = tokens.count
        while low < high {
            let middle = (low + high) / 2
            if tokens[middle].value < position {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low == tokens.count ? 0 : low
    }
}

/// One token on the ring and the index of the member owning it.
private struct RingToken: Sendable, Comparable {
    var value: UInt64
    var member: Int

    static func < (lhs: RingToken, rhs: RingToken) -> Bool {
        (lhs.value, lhs.member) < (rhs.value, rhs.member)
    }
}
