import XCTest

@testable import TesseraCore

/// SplitMix64, so the property tests are reproducible; failures print the seed.
private typealias RingTestRandom = SplitMix64

/// Every token of every node (optionally of one region), sorted naively by (token, id).
private func referenceTokens(
    members: [RingMember], tokensPerNode: Int, region: String? = nil
) -> [(token: UInt64, id: String)] {
    var tokens: [(token: UInt64, id: String)] = []
    for member in members where region == nil || member.region == region {
        for i in 0..<tokensPerNode {
            tokens.append((XXHash64.hash("\(member.id)#\(i)", seed: 0x7465_7373_6572_61), member.id))
        }
    }
    tokens.sort { $0.token != $1.token ? $0.token < $1.token : $0.id < $1.id }
    return tokens
}

/// The contract computed the slow way: a linear scan for the position (computed with UInt128), then a walk.
private func referenceReplicas(
    tokens: [(token: UInt64, id: String)], partitions: Int, partition: Int, count: Int
) -> [String] {
    let position = UInt64((UInt128(partition) << 64) / UInt128(partitions))
    let start = tokens.firstIndex { $0.token >= position } ?? 0
    var result: [String] = []
    for step in 0..<tokens.count where result.count < count {
        let id = tokens[(start + step) % tokens.count].id
        if !result.contains(id) { result.append(id) }
    }
    return result
}

private func randomMembers(count: Int, using random: inout RingTestRandom) -> [RingMember] {
    var ids = Set<String>()
    while ids.count < count {
        ids.insert("node-\(random.next() % 100_000)")
    }
    return ids.map { RingMember(id: $0, region: "region-\(random.next() % 3)") }
}

final class ConsistentHashRingTests: XCTestCase {
    func testMatchesBruteForceReference() {
        for seed: UInt64 in 1...24 {
            var random = RingTestRandom(seed: seed)
            let members = randomMembers(count: Int(random.next() % 12) + 1, using: &random)
            for tokensPerNode in [1, 8, 128] {
                let tokens = referenceTokens(members: members, tokensPerNode: tokensPerNode)
                for partitions in [1, 7, 64, 256] {
                    let ring = ConsistentHashRing(
                        members: members.shuffled(using: &random), partitions: partitions,
                        tokensPerNode: tokensPerNode)
                    for replicas in 1...5 {
                        for partition in 0..<partitions {
                            let expected = referenceReplicas(
                                tokens: tokens, partitions: partitions, partition: partition, count: replicas)
                            XCTAssertEqual(
                                ring.replicas(of: partition, count: replicas), expected,
                                "seed \(seed) V \(tokensPerNode) Q \(partitions) N \(replicas) p \(partition)")
                        }
                    }
                }
            }
        }
    }

    func testRegionFilterMatchesReferenceAndStaysInRegion() {
        for seed: UInt64 in 100...115 {
            var random = RingTestRandom(seed: seed)
            let members = randomMembers(count: Int(random.next() % 12) + 1, using: &random)
            let regionOf = Dictionary(uniqueKeysWithValues: members.map { ($0.id, $0.region) })
            let ring = ConsistentHashRing(members: members, partitions: 64, tokensPerNode: 8)
            for region in ["region-0", "region-1", "region-2", "nowhere"] {
                let inRegion = members.filter { $0.region == region }.count
                let tokens = referenceTokens(members: members, tokensPerNode: 8, region: region)
                for replicas in 1...5 {
                    for partition in 0..<64 {
                        let found = ring.replicas(of: partition, count: replicas, region: region)
                        XCTAssertEqual(found.count, min(replicas, inRegion), "seed \(seed)")
                        XCTAssertTrue(found.allSatisfy { regionOf[$0] == region }, "seed \(seed)")
                        let expected = referenceReplicas(
                            tokens: tokens, partitions: 64, partition: partition, count: replicas)
                        XCTAssertEqual(found, expected, "seed \(seed) region \(region) p \(partition)")
                    }
                }
            }
        }
    }

    func testReplicasAreDistinctAndCountIsBounded() {
        var random = RingTestRandom(seed: 7)
        for nodeCount in 1...12 {
            let members = randomMembers(count: nodeCount, using: &random)
            let ring = ConsistentHashRing(members: members, partitions: 64, tokensPerNode: 16)
            for replicas in 0...6 {
                for replicaSet in ring.placement(replicas: replicas) {
                    XCTAssertEqual(replicaSet.count, min(replicas, nodeCount))
                    XCTAssertEqual(Set(replicaSet).count, replicaSet.count)
                }
            }
        }
    }

    func testEmptyRingHasNoReplicas() {
        let ring = ConsistentHashRing(members: [], partitions: 16)
        XCTAssertEqual(ring.replicas(of: 3, count: 3), [])
        XCTAssertEqual(ring.replicas(of: 3, count: 3, region: "a"), [])
        XCTAssertEqual(ring.balance(replicas: 3), 0)
    }

    func testMembersAreSortedAndDeduplicated() {
        let ring = ConsistentHashRing(
            members: [
                RingMember(id: "c", region: "x"), RingMember(id: "a", region: "y"),
                RingMember(id: "c", region: "z"),
            ],
            partitions: 4)
        XCTAssertEqual(ring.members, [RingMember(id: "a", region: "y"), RingMember(id: "c", region: "x")])
    }

    func testAddingANodeOnlyAddsThatNode() {
        for seed: UInt64 in 200...215 {
            var random = RingTestRandom(seed: seed)
            let members = randomMembers(count: Int(random.next() % 10) + 2, using: &random)
            let newcomer = members[0]
            let before = ConsistentHashRing(members: Array(members.dropFirst()), partitions: 256, tokensPerNode: 32)
            let after = ConsistentHashRing(members: members, partitions: 256, tokensPerNode: 32)
            for replicas in 1...5 {
                for partition in 0..<256 {
                    let old = Set(before.replicas(of: partition, count: replicas))
                    let new = Set(after.replicas(of: partition, count: replicas))
                    let added = new.subtracting(old)
                    XCTAssertLessThanOrEqual(added.count, 1, "seed \(seed)")
                    XCTAssertTrue(added.isSubset(of: [newcomer.id]), "seed \(seed)")
                    // Only the newcomer pushes one old member out, and only when the set is full.
                    XCTAssertLessThanOrEqual(old.subtracting(new).count, added.count, "seed \(seed)")
                }
            }
        }
    }

    func testRemovingANodeOnlyMovesItsPartitions() {
        for seed: UInt64 in 300...315 {
            var random = RingTestRandom(seed: seed)
            let members = randomMembers(count: Int(random.next() % 10) + 2, using: &random)
            let leaver = members[Int(random.next() % UInt64(members.count))]
            let before = ConsistentHashRing(members: members, partitions: 256, tokensPerNode: 32)
            let after = ConsistentHashRing(
                members: members.filter { $0 != leaver }, partitions: 256, tokensPerNode: 32)
            for replicas in 1...5 {
                let moved = Set(ConsistentHashRing.moved(from: before, to: after, replicas: replicas))
                for partition in 0..<256 {
                    let old = before.replicas(of: partition, count: replicas)
                    XCTAssertEqual(moved.contains(partition), old.contains(leaver.id), "seed \(seed)")
                    let new = after.replicas(of: partition, count: replicas)
                    XCTAssertTrue(Set(old.filter { $0 != leaver.id }).isSubset(of: Set(new)), "seed \(seed)")
                }
            }
        }
    }

    func testPositionsAreExact() {
        let ring64 = ConsistentHashRing(members: [], partitions: 64)
        for partition in 0..<64 {
            XCTAssertEqual(ring64.position(of: partition), UInt64(partition) << 58)
        }
        let ring3 = ConsistentHashRing(members: [], partitions: 3)
        XCTAssertEqual(ring3.position(of: 0), 0)
        XCTAssertEqual(ring3.position(of: 1), 0x5555_5555_5555_5555)
        XCTAssertEqual(ring3.position(of: 2), 0xAAAA_AAAA_AAAA_AAAA)
        XCTAssertEqual(ConsistentHashRing(members: [], partitions: 1).position(of: 0), 0)
        for partitions in [5, 7, 1000, 65535, 65536] {
            let ring = ConsistentHashRing(members: [], partitions: partitions)
            for partition in [0, 1, partitions / 2, partitions - 1] {
                let expected = UInt64((UInt128(partition) << 64) / UInt128(partitions))
                XCTAssertEqual(ring.position(of: partition), expected, "Q \(partitions) p \(partition)")
            }
        }
    }

    func testTokensFollowTheDocumentedFormula() {
        XCTAssertEqual(ConsistentHashRing.tokenSeed, 0x7465_7373_6572_61)
        XCTAssertEqual(ConsistentHashRing.token(of: "n1", index: 5), XXHash64.hash("n1#5", seed: 0x7465_7373_6572_61))
    }

    func testOneNodeHoldsEverythingAndBalanceIsOne() {
        let ring = ConsistentHashRing(members: [RingMember(id: "solo", region: "a")], partitions: 7, tokensPerNode: 1)
        XCTAssertEqual(ring.placement(replicas: 3), Array(repeating: ["solo"], count: 7))
        XCTAssertEqual(ring.balance(replicas: 3), 1)
    }

    func testBalanceIsReasonableWithManyTokens() {
        let members = (1...8).map { RingMember(id: "n\($0)", region: "a") }
        let ring = ConsistentHashRing(members: members, partitions: 256)
        let balance = ring.balance(replicas: 3)
        XCTAssertGreaterThanOrEqual(balance, 1)
        XCTAssertLessThan(balance, 1.5)
    }
}
