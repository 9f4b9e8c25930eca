import TesseraCore

/// What a member says of itself in gossip. `suspect` and `down` are not here: they are each observer's own
/// judgement from its failure detector.
public enum MemberStatus: String, Sendable, Codable, CaseIterable {
    /// Streaming its share of data before it serves reads.
    case joining
    /// Serving.
    case up
    /// Handing its partitions to their new owners before it stops.
    case leaving
    /// Gone for good; kept so that gossip does not bring it back.
    case left
}

/// One member of the cluster as gossiped: of two records of one member the higher generation wins.
public struct MemberRecord: Sendable, Codable, Equatable {
    /// The node id.
    public var id: String
    /// The client (HTTP) address, HOST:PORT.
    public var address: String
    /// The node-to-node (gRPC) address, HOST:PORT.
    public var peerAddress: String
    /// The region.
    public var region: String
    /// Its status.
    public var status: MemberStatus
    /// Raised by the member itself on every change of its record.
    public var generation: UInt64
    /// Rebalancing: partition streams to run, and done, and items moved.
    public var streamsTotal: Int = 0
    /// Partition streams finished.
    public var streamsDone: Int = 0
    /// Items streamed.
    public var streamedItems: Int = 0
    /// Keys held (load).
    public var keys: Int = 0
    /// Bytes of keys and values held (load).
    public var storageBytes: Int = 0

    /// Creates a record.
    public init(
        id: String, address: String, peerAddress: String, region: String, status: MemberStatus, generation: UInt64
    ) {
        self.id = id
        self.address = address
        self.peerAddress = peerAddress
        self.region = region
        self.status = status
        self.generation = generation
    }

    /// Whether the member holds data in the current placement (reads go to these).
    public var inReadRing: Bool { status == .up || status == .leaving }
    /// Whether the member holds data in the placement being moved to (writes also go to these).
    public var inWriteRing: Bool { status == .up || status == .joining }

    init(_ proto: Tessera_Peer_V1_Member) {
        self.init(
            id: proto.id, address: proto.address, peerAddress: proto.peerAddress, region: proto.region,
            status: MemberStatus(rawValue: proto.status) ?? .up, generation: proto.generation)
        streamsTotal = Int(proto.streamsTotal)
        streamsDone = Int(proto.streamsDone)
        streamedItems = Int(proto.streamedItems)
        keys = Int(proto.keys)
        storageBytes = Int(proto.storageBytes)
    }

    var proto: Tessera_Peer_V1_Member {
        var out = Tessera_Peer_V1_Member()
        out.id = id
        out.address = address
        out.peerAddress = peerAddress
        out.region = region
        out.status = status.rawValue
        out.generation = generation
        out.streamsTotal = UInt32(clamping: streamsTotal)
        out.streamsDone = UInt32(clamping: streamsDone)
        out.streamedItems = UInt64(clamping: streamedItems)
        out.keys = UInt64(clamping: keys)
        out.storageBytes = UInt64(clamping: storageBytes)
        return out
    }
}

/// A keyspace definition as gossiped (the highest version wins; a drop is a tombstone).
public struct KeyspaceEntry: Sendable, Codable, Equatable {
    /// The keyspace name.
    public var name: String
    /// The definition as the JSON body of `PUT /v1/keyspaces/{ks}`.
    public var config: [UInt8]
    /// A hybrid timestamp of the change.
    public var version: UInt64
    /// Whether the keyspace was dropped.
    public var dropped: Bool

    /// Creates an entry.
    public init(name: String, config: [UInt8], version: UInt64, dropped: Bool) {
        self.name = name
        self.config = config
        self.version = version
        self.dropped = dropped
    }

    init(_ proto: Tessera_Peer_V1_KeyspaceEntry) {
        self.init(name: proto.name, config: [UInt8](proto.config), version: proto.version, dropped: proto.dropped)
    }

    var proto: Tessera_Peer_V1_KeyspaceEntry {
        var out = Tessera_Peer_V1_KeyspaceEntry()
        out.name = name
        out.config = .init(config)
        out.version = version
        out.dropped = dropped
        return out
    }
}
