import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import Synchronization
import TesseraCore
import TesseraStorage

/// The cluster layer of one node: membership and failure detection by gossip, placement on the consistent-hash
/// ring, quorum replication with hinted handoff, read repair and Merkle-tree anti-entropy, and rebalancing when
/// nodes join or leave. It serves the node-to-node gRPC protocol and coordinates client requests.
public final class ClusterNode: Sendable {
    /// The configuration it started with.
    public let config: ClusterConfig
    let engine: StorageEngine
    let membership: Membership
    let peers: PeerPool
    let hints: HintStore
    let logger: Logger
    let hooksBox = Mutex<(any ClusterHooks)?>(nil)
    let counters = Mutex(ClusterCounters())
    let startedFresh: Bool
    let antiEntropyCursor = Mutex(0)
    let leaving = Mutex(false)
    let serverBox = Mutex<GRPCServer<HTTP2ServerTransport.Posix>?>(nil)
    let batchers = Mutex<(apply: CallBatcher<ReplicaRecord, ReplicaApplyResult>, read: ReadBatcher)?>(nil)

    typealias ReadBatcher = CallBatcher<Tessera_Peer_V1_ReadRequest, Tessera_Peer_V1_ReadResponse>

    /// Coalesces concurrent `Apply` and `Read` calls per peer.
    var batcher: (apply: CallBatcher<ReplicaRecord, ReplicaApplyResult>, read: ReadBatcher) {
        batchers.withLock { box in
            if let batchers = box { return batchers }
            let apply = CallBatcher<ReplicaRecord, ReplicaApplyResult> { [weak self] target, records in
                await self?.sendApply(target, records)
            }
            let read = ReadBatcher { [weak self] target, reads in await self?.sendReads(target, reads) }
            box = (apply, read)
            return (apply, read)
        }
    }

    /// This node's id.
    public var nodeID: String { config.nodeID }

    /// Opens the cluster state of the data directory (or creates it). A data directory remembers its node id,
    /// region and addresses: starting it under another id is refused.
    public init(config: ClusterConfig, engine: StorageEngine, logger: Logger) throws {
        self.engine = engine
        self.logger = logger
        peers = PeerPool(logger: logger)
        hints = HintStore(limitPerPeer: config.hintsPerPeerMax)
        var config = config
        let now = engine.nowMs
        let saved = try ClusterStateFile.load(config.dataDirectory)
        let selfRecord: MemberRecord
        var removalFloor: UInt64 = 0
        if let saved {
            guard saved.selfRecord.id == config.nodeID else {
                throw ClusterError(
                    "the data directory belongs to node \(saved.selfRecord.id), not \(config.nodeID)")
            }
            guard saved.selfRecord.status != .left else {
                throw ClusterError(
                    "node \(config.nodeID) left the cluster; start it with an empty data directory to add it again")
            }
            var record = saved.selfRecord
            removalFloor = record.generation
            record.address = config.address
            record.peerAddress = config.peerListen
            config.region = record.region
            record.generation = max(record.generation + 1, UInt64(now) << 16)
            selfRecord = record
            startedFresh = false
        } else {
            selfRecord = MemberRecord(
                id: config.nodeID, address: config.address, peerAddress: config.peerListen, region: config.region,
                status: config.join.isEmpty ? .up : .joining, generation: UInt64(now) << 16)
            startedFresh = true
        }
        self.config = config
        membership = Membership(
            self: selfRecord, removalFloor: removalFloor, others: saved?.members ?? [],
            keyspaces: saved?.keyspaces ?? [],
            partitions: engine.partitioner.count, tokensPerNode: config.tokensPerNode, suspectPhi: config.suspectPhi,
            downPhi: config.downPhi, nowMs: now)
        try persist()
    }

    /// Connects the HTTP layer.
    public func setHooks(_ hooks: any ClusterHooks) { hooksBox.withLock { $0 = hooks } }

    var hooks: (any ClusterHooks)? { hooksBox.withLock { $0 } }

    func persist() throws {
        let (members, keyspaces) = membership.gossipPayload()
        let file = ClusterStateFile(
            partitions: engine.partitioner.count, selfRecord: membership.selfRecord,
            members: members.filter { $0.id != nodeID }, keyspaces: keyspaces)
        try file.save(config.dataDirectory)
    }

    /// Serves the node-to-node protocol and runs gossip, hint delivery, anti-entropy and (when joining) the
    /// initial data transfer, until cancelled.
    public func run() async throws {
        let (host, port) = try PeerPool.split(config.peerListen)
        let server = GRPCServer(
            transport: .http2NIOPosix(address: .ipv4(host: host, port: port), transportSecurity: .plaintext),
            services: [PeerService(node: self)])
        serverBox.withLock { $0 = server }
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The server is stopped by `shutdown()` (a graceful shutdown), never by cancelling `serve()`:
            // cancelling it can drop a stream the transport has accepted but not handed over yet, which NIO
            // treats as a fatal error.
            group.addTask { try await server.serve() }
            group.addTask { await self.gossipLoop() }
            group.addTask { await self.hintLoop() }
            group.addTask { await self.antiEntropyLoop() }
            group.addTask { await self.cleanupLoop() }
            group.addTask { await self.startup() }
            do {
                try await group.next()
            } catch {
                group.cancelAll()
                server.beginGracefulShutdown()
                peers.shutdown()
                throw error
            }
            // The server has stopped: stop the rest.
            group.cancelAll()
            peers.shutdown()
        }
    }

    /// Stops serving the node-to-node protocol gracefully; `run()` then returns.
    public func shutdown() {
        serverBox.withLock { $0 }?.beginGracefulShutdown()
    }

    /// Joins through the seeds, or resumes a join or leave cut short by a restart.
    func startup() async {
        switch membership.selfRecord.status {
        case .joining:
            await join()
        case .leaving:
            await leave()
        case .up, .left:
            if !config.join.isEmpty && startedFresh { await join() }
            if !config.join.isEmpty { await contactSeeds() }
        }
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }

    var nowMs: Int64 { engine.nowMs }

    /// Whether the node is up (not joining, leaving or left): reads wait for a joining node's transfer.
    public var isReady: Bool { membership.selfRecord.status == .up }
}

/// A cluster-layer failure.
public struct ClusterError: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Counters of the cluster layer, for metrics.
public struct ClusterCounters: Sendable {
    /// Hints stored for unreachable replicas.
    public var hintsStored = 0
    /// Hints delivered.
    public var hintsDelivered = 0
    /// Stale replicas repaired by reads.
    public var readRepairs = 0
    /// Anti-entropy exchanges.
    public var antiEntropyRounds = 0
    /// Records repaired by anti-entropy (both directions).
    public var antiEntropyRepairs = 0
    /// Writes refused for want of replicas.
    public var unavailable = 0
}
