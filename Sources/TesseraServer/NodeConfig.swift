import TesseraStorage

/// The settings of one `tessera serve` process.
public struct NodeConfig: Sendable {
    /// Client listener host.
    public var host = "127.0.0.1"
    /// Client listener port.
    public var port = 7070
    /// The data directory.
    public var dataDirectory = "./tessera-data"
    /// This node's id.
    public var nodeID = "n1"
    /// This node's region.
    public var region = "local"
    /// Partitions per keyspace for a new data directory.
    public var partitions = 64
    /// The largest value accepted.
    public var valueBytesMax = 1 << 20
    /// When writes reach stable storage.
    public var syncPolicy: SyncPolicy = .always
    /// Log bytes between snapshots.
    public var snapshotLogBytes = 64 << 20
    /// The most change events kept per keyspace.
    public var changeEventsMax = 100_000
    /// Milliseconds between keep-alive comments on idle event streams.
    public var sseKeepAliveMs = 15_000
    /// The node-to-node (gRPC) listener.
    public var peerListen = "127.0.0.1:7072"
    /// Client addresses of members to join.
    public var join: [String] = []
    /// Milliseconds between heartbeats to each peer.
    public var gossipIntervalMs = 200
    /// Milliseconds between anti-entropy exchanges.
    public var antiEntropyIntervalMs = 100
    /// Milliseconds of stable membership before partitions moved away are dropped.
    public var cleanupDelayMs = 30_000
    /// The gRPC listener (reserved).
    public var grpcListen = "127.0.0.1:7071"

    /// The defaults of API.md.
    public init() {}

    /// The client address as `host:port`.
    public var address: String { "\(host):\(port)" }
}
