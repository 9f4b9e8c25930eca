import TesseraCore

/// A fixed-shape Merkle tree over the entries of one partition, for anti-entropy between its replicas.
///
/// The tree is complete and binary with `leafCount` leaves (a power of two), stored in heap layout: index 1
/// is the root, node `i` has children `2i` and `2i + 1`, and the leaves are `leafCount..<2 * leafCount`.
/// Index 0 is unused and always 0.
///
/// - A key belongs to leaf ``leaf(of:leafCount:)``: the high `log2(leafCount)` bits of `XXHash64.hash(key)`.
///   High bits, not `hash % leafCount`, because the partitioner uses `hash % Q`: with a power-of-two `Q`
///   the low bits of every key in a partition are equal, and would crowd the partition into a few leaves.
/// - A leaf's hash is the XOR of the hashes of its entries (see ``entryHash(key:versionRaw:node:tombstone:)``),
///   so insertion order does not matter and an entry is removed by XORing it in again. An entry inserted
///   twice therefore cancels out: a replica holds each (key, version) once.
/// - An internal node's hash is `XXHash64` of its two children's hashes (16 bytes, little endian).
///
/// Internal nodes are updated on every insert or removal (`log2(leafCount)` small hashes), so ``root`` and
/// ``nodes`` are always current.
public struct MerkleTree: Sendable, Equatable {
    /// The number of leaves, a power of two.
    public let leafCount: Int
    private var heap: [UInt64]

    /// Creates an empty tree with `leafCount` leaves (a power of two from 1 to 2^24).
    public init(leafCount: Int = 1024) {
        precondition(Self.isValidLeafCount(leafCount), "leafCount must be a power of two from 1 to 2^24")
        self.leafCount = leafCount
        heap = [UInt64](repeating: 0, count: 2 * leafCount)
        for index in stride(from: leafCount - 1, through: 1, by: -1) {
            heap[index] = Self.combine(heap[2 * index], heap[2 * index + 1])
        }
    }

    /// Rebuilds a tree from its wire form ``nodes``; nil unless the array has `2 * leafCount` elements with
    /// `leafCount` a power of two, index 0 is 0 and every internal node is the hash of its children.
    public init?(nodes: [UInt64]) {
        let leafCount = nodes.count / 2
        guard nodes.count % 2 == 0, Self.isValidLeafCount(leafCount), nodes[0] == 0 else { return nil }
        for index in 1..<leafCount where nodes[index] != Self.combine(nodes[2 * index], nodes[2 * index + 1]) {
            return nil
        }
        self.leafCount = leafCount
        heap = nodes
    }

    /// The leaf of `key` in a tree of `leafCount` leaves: the high `log2(leafCount)` bits of `XXHash64.hash(key)`.
    public static func leaf(of key: String, leafCount: Int) -> Int {
        precondition(isValidLeafCount(leafCount), "leafCount must be a power of two from 1 to 2^24")
        guard leafCount > 1 else { return 0 }
        return Int(XXHash64.hash(key) >> (64 - leafCount.trailingZeroBitCount))
    }

    /// The hash of one entry: `XXHash64` (seed 0) of its serialization, which is the key's UTF-8 length
    /// (UInt32, little endian), the key's UTF-8 bytes, `versionRaw` (UInt64, little endian), `node`
    /// (UInt16, little endian) and one byte that is 1 for a tombstone and 0 otherwise.
    public static func entryHash(key: String, versionRaw: UInt64, node: UInt16, tombstone: Bool) -> UInt64 {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(key.utf8.count + 15)
        appendLittleEndian(UInt32(truncatingIfNeeded: key.utf8.count), to: &bytes)
        bytes.append(contentsOf: key.utf8)
        appendLittleEndian(versionRaw, to: &bytes)
        appendLittleEndian(node, to: &bytes)
        bytes.append(tombstone ? 1 : 0)
        return XXHash64.hash(bytes)
    }

    /// Adds an entry: XORs its hash into the key's leaf.
    public mutating func insert(key: String, versionRaw: UInt64, node: UInt16, tombstone: Bool) {
        let leaf = Self.leaf(of: key, leafCount: leafCount)
        let hash = Self.entryHash(key: key, versionRaw: versionRaw, node: node, tombstone: tombstone)
        toggle(leaf: leaf, hash: hash)
    }

    /// Removes an entry previously inserted: XORs its hash out of the key's leaf (the same as inserting it).
    public mutating func remove(key: String, versionRaw: UInt64, node: UInt16, tombstone: Bool) {
        insert(key: key, versionRaw: versionRaw, node: node, tombstone: tombstone)
    }

    /// The root hash; equal roots mean (barring collisions) equal contents.
    public var root: UInt64 { heap[1] }

    /// The full heap array (index 0 unused and 0, index 1 the root, leaves last), for sending over the wire.
    public var nodes: [UInt64] { heap }

    /// The hash of leaf `index` (in `0..<leafCount`).
    public func leafHash(_ index: Int) -> UInt64 {
        precondition(index >= 0 && index < leafCount, "leaf out of range")
        return heap[leafCount + index]
    }

    /// Leaves that differ, in ascending order, found by descending only into differing subtrees.
    /// Both trees must have the same `leafCount`.
    public func differingLeaves(from other: MerkleTree) -> [Int] {
        precondition(leafCount == other.leafCount, "trees have different leaf counts")
        var result: [Int] = []
        var stack = [1]
        while let index = stack.popLast() {
            guard heap[index] != other.heap[index] else { continue }
            if index >= leafCount {
                result.append(index - leafCount)
            } else {
                // Right first so that the left subtree is popped, and reported, first.
                stack.append(2 * index + 1)
                stack.append(2 * index)
            }
        }
        return result
    }

    private mutating func toggle(leaf: Int, hash: UInt64) {
        var index = leafCount + leaf
        heap[index] ^= hash
        while index > 1 {
            index /= 2
            heap[index] = Self.combine(heap[2 * index], heap[2 * index + 1])
        }
    }

    /// Whether `leafCount` is a power of two from 1 to 2^24 (check input from the network with it).
    public static func isValidLeafCount(_ leafCount: Int) -> Bool {
        leafCount >= 1 && leafCount <= 1 << 24 && leafCount.nonzeroBitCount == 1
    }

    /// `XXHash64` of `left` then `right`, each 8 bytes little endian.
    private static func combine(_ left: UInt64, _ right: UInt64) -> UInt64 {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2) { buffer in
            buffer[0] = left.littleEndian
            buffer[1] = right.littleEndian
            return XXHash64.hash(buffer: UnsafeRawBufferPointer(buffer))
        }
    }

    private static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        var remaining = value.littleEndian
        withUnsafeBytes(of: &remaining) { bytes.append(contentsOf: $0) }
    }
}
