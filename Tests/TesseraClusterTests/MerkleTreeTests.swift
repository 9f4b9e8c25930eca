import TesseraCore
import XCTest

@testable import TesseraCluster

/// SplitMix64, so the property tests are reproducible; failures print the seed.
private typealias MerkleTestRandom = SplitMix64

private struct Entry: Hashable {
    var key: String
    var version: UInt64
    var node: UInt16
    var tombstone: Bool
}

extension MerkleTree {
    fileprivate mutating func insert(_ entry: Entry) {
        insert(key: entry.key, versionRaw: entry.version, node: entry.node, tombstone: entry.tombstone)
    }

    fileprivate mutating func remove(_ entry: Entry) {
        remove(key: entry.key, versionRaw: entry.version, node: entry.node, tombstone: entry.tombstone)
    }
}

private func randomEntries(_ count: Int, using random: inout MerkleTestRandom) -> [Entry] {
    var keys = Set<String>()
    while keys.count < count { keys.insert("key-\(random.next() % 1_000_000)") }
    return keys.map {
        Entry(
            key: $0, version: random.next(), node: UInt16(truncatingIfNeeded: random.next()),
            tombstone: random.next() % 4 == 0)
    }
}

final class MerkleTreeTests: XCTestCase {
    func testInsertionOrderDoesNotMatter() {
        var random = MerkleTestRandom(seed: 1)
        let entries = randomEntries(500, using: &random)
        var first = MerkleTree()
        var second = MerkleTree()
        for entry in entries { first.insert(entry) }
        for entry in entries.shuffled(using: &random) { second.insert(entry) }
        XCTAssertEqual(first, second)
        XCTAssertEqual(first.root, second.root)
        XCTAssertNotEqual(first.root, MerkleTree().root)
    }

    func testOneDifferentVersionChangesExactlyThatLeaf() {
        var random = MerkleTestRandom(seed: 2)
        let entries = randomEntries(300, using: &random)
        var first = MerkleTree()
        var second = MerkleTree()
        for entry in entries { first.insert(entry) }
        var changed = entries
        changed[17].version &+= 1
        for entry in changed { second.insert(entry) }
        XCTAssertNotEqual(first.root, second.root)
        XCTAssertEqual(first.differingLeaves(from: second), [MerkleTree.leaf(of: entries[17].key, leafCount: 1024)])
    }

    func testTombstoneAndNodeAreHashed() {
        let live = MerkleTree.entryHash(key: "k", versionRaw: 5, node: 1, tombstone: false)
        XCTAssertNotEqual(live, MerkleTree.entryHash(key: "k", versionRaw: 5, node: 1, tombstone: true))
        XCTAssertNotEqual(live, MerkleTree.entryHash(key: "k", versionRaw: 5, node: 2, tombstone: false))
        XCTAssertNotEqual(live, MerkleTree.entryHash(key: "k2", versionRaw: 5, node: 1, tombstone: false))
    }

    func testEntrySerializationIsPinned() {
        // 1-byte key length prefix as UInt32 LE, key, version LE, node LE, tombstone byte.
        let bytes: [UInt8] = [1, 0, 0, 0, 0x6B, 5, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1]
        XCTAssertEqual(MerkleTree.entryHash(key: "k", versionRaw: 5, node: 2, tombstone: true), XXHash64.hash(bytes))
    }

    func testRemovalRestoresTheRoot() {
        var random = MerkleTestRandom(seed: 3)
        let entries = randomEntries(200, using: &random)
        var tree = MerkleTree(leafCount: 64)
        for entry in entries { tree.insert(entry) }
        let before = tree
        let extra = Entry(key: "extra", version: 42, node: 3, tombstone: false)
        tree.insert(extra)
        XCTAssertNotEqual(tree.root, before.root)
        tree.remove(extra)
        XCTAssertEqual(tree, before)
        for entry in entries { tree.remove(entry) }
        XCTAssertEqual(tree, MerkleTree(leafCount: 64))
    }

    func testDifferingLeavesMatchBruteForce() {
        for seed: UInt64 in 1...30 {
            var random = MerkleTestRandom(seed: seed)
            let leafCount = 1 << Int(random.next() % 11)
            let entries = randomEntries(Int(random.next() % 400), using: &random)
            var first = MerkleTree(leafCount: leafCount)
            for entry in entries { first.insert(entry) }
            var second = first
            for _ in 0..<Int(random.next() % 20) {
                let kind = random.next() % 3
                if kind == 0 || entries.isEmpty {
                    second.insert(Entry(key: "new-\(random.next())", version: 1, node: 0, tombstone: false))
                } else {
                    let entry = entries[Int(random.next() % UInt64(entries.count))]
                    second.remove(entry)
                    if kind == 2 {
                        second.insert(
                            Entry(
                                key: entry.key, version: entry.version &+ 1, node: entry.node,
                                tombstone: !entry.tombstone))
                    }
                }
            }
            let expected = (0..<leafCount).filter { first.leafHash($0) != second.leafHash($0) }
            XCTAssertEqual(first.differingLeaves(from: second), expected, "seed \(seed)")
            XCTAssertEqual(second.differingLeaves(from: first), expected, "seed \(seed)")
            XCTAssertEqual(first.root == second.root, expected.isEmpty, "seed \(seed)")
        }
    }

    func testWireRoundTrip() {
        var random = MerkleTestRandom(seed: 4)
        for leafCount in [1, 2, 16, 1024] {
            var tree = MerkleTree(leafCount: leafCount)
            for entry in randomEntries(100, using: &random) { tree.insert(entry) }
            XCTAssertEqual(tree.nodes.count, 2 * leafCount)
            XCTAssertEqual(tree.nodes[0], 0)
            XCTAssertEqual(tree.nodes[1], tree.root)
            let rebuilt = MerkleTree(nodes: tree.nodes)
            XCTAssertEqual(rebuilt, tree)
            XCTAssertEqual(rebuilt?.leafCount, leafCount)
        }
    }

    func testMalformedWireFormIsRejected() {
        var tree = MerkleTree(leafCount: 8)
        tree.insert(Entry(key: "a", version: 1, node: 1, tombstone: false))
        let good = tree.nodes
        XCTAssertNil(MerkleTree(nodes: []))
        XCTAssertNil(MerkleTree(nodes: [0]))
        XCTAssertNil(MerkleTree(nodes: Array(good.dropLast())))
        XCTAssertNil(MerkleTree(nodes: Array(repeating: 0, count: 12)))  // 6 leaves: not a power of two
        var badRoot = good
        badRoot[1] ^= 1
        XCTAssertNil(MerkleTree(nodes: badRoot))
        var badLeaf = good
        badLeaf[8] ^= 1
        XCTAssertNil(MerkleTree(nodes: badLeaf))
        var badZero = good
        badZero[0] = 7
        XCTAssertNil(MerkleTree(nodes: badZero))
        XCTAssertNotNil(MerkleTree(nodes: good))
    }

    func testLeafUsesHighBits() {
        XCTAssertEqual(MerkleTree.leaf(of: "anything", leafCount: 1), 0)
        for key in ["a", "b", "user:1", "{tag}x"] {
            XCTAssertEqual(MerkleTree.leaf(of: key, leafCount: 1024), Int(XXHash64.hash(key) >> 54))
        }
    }

    func testKeysOfOnePartitionSpreadOverLeaves() {
        let partitioner = Partitioner(count: 256)
        var leaves = Set<Int>()
        var found = 0
        var index = 0
        while found < 2000 {
            let key = "key-\(index)"
            index += 1
            guard partitioner.partition(of: key) == 5 else { continue }
            found += 1
            leaves.insert(MerkleTree.leaf(of: key, leafCount: 1024))
        }
        XCTAssertGreaterThan(leaves.count, 800)
    }
}
