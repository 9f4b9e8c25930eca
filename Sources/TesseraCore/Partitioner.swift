/// A partition number in `0..<count` of a cluster with a fixed number of partitions.
public typealias PartitionID = Int

/// Maps keys to partitions: `xxhash64(partition key) mod count`, where the partition key is the
/// content of the key's first non-empty `{...}` hash tag, or else the whole key.
public struct Partitioner: Sendable, Hashable {
    /// The number of partitions, fixed when the cluster is created.
    public let count: Int

    /// Creates a partitioner over `count` partitions (1 to 65536).
    public init(count: Int) {
        precondition(count >= 1 && count <= 65536, "partition count out of range")
        self.count = count
    }

    /// The partition of `key`.
    public func partition(of key: String) -> PartitionID {
        partition(ofHashed: HashTag.partitionKey(of: key))
    }

    /// The partition of an already extracted partition key (hash tag content or whole key).
    public func partition(ofHashed partitionKey: Substring) -> PartitionID {
        var copy = String(partitionKey)
        let hash = copy.withUTF8 { XXHash64.hash(buffer: UnsafeRawBufferPointer($0)) }
        return Int(hash % UInt64(count))
    }

    /// The single partition that every key beginning with `prefix` falls in, when the prefix begins with a
    /// complete hash tag; nil when keys with this prefix may live in any partition.
    public func partition(ofPrefix prefix: String) -> PartitionID? {
        guard let tag = HashTag.leadingTag(of: prefix) else { return nil }
        return partition(ofHashed: tag)
    }
}

/// Redis Cluster's hash tag convention.
public enum HashTag {
    /// The bytes hashed to place `key`: the content of the first `{...}` pair when non-empty, else the key.
    public static func partitionKey(of key: String) -> Substring {
        let utf8 = key.utf8
        guard let open = utf8.firstIndex(of: UInt8(ascii: "{")) else { return key[...] }
        let afterOpen = utf8.index(after: open)
        guard let close = utf8[afterOpen...].firstIndex(of: UInt8(ascii: "}")), close != afterOpen else {
            return key[...]
        }
        return key[afterOpen..<close]
    }

    /// The content of the key's first non-empty `{...}` pair, or nil when it has none.
    public static func tag(of key: String) -> Substring? {
        let hashed = partitionKey(of: key)
        return hashed.count == key.count && hashed.startIndex == key.startIndex ? nil : hashed
    }

    /// The tag content when `prefix` begins with `{`, non-empty content and `}`: every key with that prefix
    /// then has this tag as its first tag.
    public static func leadingTag(of prefix: String) -> Substring? {
        let utf8 = prefix.utf8
        guard utf8.first == UInt8(ascii: "{") else { return nil }
        let afterOpen = utf8.index(after: utf8.startIndex)
        guard let close = utf8[afterOpen...].firstIndex(of: UInt8(ascii: "}")), close != afterOpen else { return nil }
        return prefix[afterOpen..<close]
    }
}
