import TesseraCore

/// The settings of a node's cluster layer.
public struct ClusterConfig: Sendable {
    /// This node's id.
    public var nodeID: String
    /// This node's region.
    public var region: String
    /// The client (HTTP) address others reach this node at.
    public var address: String
    /// The node-to-node listener, HOST:PORT.
    public var peerListen: String
    /// Client addresses of existing members to join (empty: start or restart on its own).
    public var join: [String] = []
    /// The data directory (the cluster state file lives there).
    public var dataDirectory: String
    /// Tokens per node on the ring.
    public var tokensPerNode = 128
    /// Milliseconds between heartbeats to each peer.
    public var gossipIntervalMs = 200
    /// φ at which a peer is reported `suspect`.
    public var suspectPhi = 5.0
    /// φ at which a peer is judged `down` (requests stop going to it and its writes become hints).
    public var downPhi = 8.0
    /// Deadline of one replica request.
    public var replicaTimeoutMs = 2_000
    /// Deadline of a fanned-out scan or query.
    public var fanoutTimeoutMs = 5_000
    /// Milliseconds between anti-entropy exchanges (one keyspace partition each).
    public var antiEntropyIntervalMs = 100
    /// How long the membership must be stable (every member up, nobody joining or leaving) before a node
    /// drops the partitions it no longer replicates.
    public var cleanupDelayMs = 30_000
    /// The most hints kept per unreachable peer (older ones are dropped; anti-entropy repairs what they held).
    public var hintsPerPeerMax = 200_000

    /// Creates a configuration.
    public init(nodeID: String, region: String, address: String, peerListen: String, dataDirectory: String) {
        self.nodeID = nodeID
        self.region = region
        self.address = address
        self.peerListen = peerListen
        self.dataDirectory = dataDirectory
    }
}

/// How many replicas must answer (`Tessera-Consistency`).
public enum ReadWriteConsistency: String, Sendable {
    /// One replica.
    case one
    /// A majority of the replicas.
    case quorum
    /// Every replica.
    case all

    /// Replies needed out of `replicas`.
    public func required(of replicas: Int) -> Int {
        switch self {
        case .one: min(1, replicas)
        case .quorum: replicas / 2 + 1
        case .all: replicas
        }
    }
}

/// What the HTTP layer provides to the cluster layer.
public protocol ClusterHooks: Sendable {
    /// Creates or updates a keyspace from its `PUT /v1/keyspaces/{ks}` body, as gossip brought it.
    func applyKeyspace(name: String, config: [UInt8]) async throws
    /// Drops a keyspace, as gossip brought it.
    func dropKeyspace(name: String) async throws
    /// Runs a request forwarded by another node's coordinator (this node is the partition's first replica).
    func forward(operation: String, keyspace: String, name: String, body: [UInt8], headers: [String: String]) async
        -> (status: Int, body: [UInt8], headers: [String: String])
    /// The node finished leaving the cluster: stop the process.
    func leftCluster()
}
