import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import TesseraCluster
import TesseraCore
import TesseraStorage

/// One Tessera node: storage, HTTP API, background maintenance, with graceful shutdown that flushes the log.
public struct TesseraNode: Sendable {
    let services: NodeServices
    let dispatcher: LocalDispatcher

    /// Opens the data directory (recovering it) and prepares the routes.
    public init(config: NodeConfig, logger: Logger) throws {
        let options = StorageOptions(
            directory: config.dataDirectory, partitionCount: config.partitions, syncPolicy: config.syncPolicy,
            snapshotLogBytes: config.snapshotLogBytes, changeEventsMax: config.changeEventsMax,
            nodeOrdinal: UInt16(truncatingIfNeeded: XXHash64.hash(config.nodeID)))
        let engine = try StorageEngine(
            options: options, logger: logger,
            onFatal: { _ in
                // A storage error stops the node rather than let it serve state it no longer trusts.
                exit(70)
            })
        if engine.partitioner.count != config.partitions {
            logger.warning(
                "the data directory has \(engine.partitioner.count) partitions; --partitions \(config.partitions) is ignored"
            )
        }
        let indexes = IndexManager()
        engine.setObserver(indexes)
        for keyspace in engine.keyspaces() {
            let fresh = try indexes.register(keyspace)
            try indexes.backfill(keyspace.name, fresh, engine: engine)
            if !fresh.isEmpty { logger.info("rebuilt \(fresh.count) indexes of \(keyspace.name) from storage") }
        }
        var clusterConfig = ClusterConfig(
            nodeID: config.nodeID, region: config.region, address: config.address, peerListen: config.peerListen,
            dataDirectory: config.dataDirectory)
        clusterConfig.join = config.join
        clusterConfig.gossipIntervalMs = config.gossipIntervalMs
        clusterConfig.antiEntropyIntervalMs = config.antiEntropyIntervalMs
        clusterConfig.cleanupDelayMs = config.cleanupDelayMs
        let cluster = try ClusterNode(config: clusterConfig, engine: engine, logger: logger)
        services = NodeServices(
            engine: engine, config: config, metrics: NodeMetrics(), logger: logger, indexes: indexes, cluster: cluster)
        dispatcher = LocalDispatcher(logger: logger)
        cluster.setHooks(NodeClusterHooks(services: services, dispatcher: dispatcher))
    }

    /// The router with every route of API.md that this version serves.
    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.middlewares.add(MetricsMiddleware(metrics: services.metrics))
        router.middlewares.add(ErrorMiddleware())
        router.middlewares.add(LockForwardingMiddleware(cluster: services.cluster))
        KeyspaceRoutes(services: services).register(on: router)
        ItemRoutes(services: services).register(on: router)
        TransactionRoutes(services: services).register(on: router)
        LockRoutes(services: services).register(on: router)
        ChangeRoutes(services: services).register(on: router)
        QueryRoutes(services: services, indexes: services.indexes).register(on: router)
        ClusterRoutes(services: services).register(on: router)
        MethodNotAllowed.register(on: router)
        return router
    }

    /// Serves until SIGINT or SIGTERM, then stops accepting, finishes, flushes and closes storage.
    public func run() async throws {
        let metrics = services.metrics
        let config = services.config
        let logger = services.logger
        let router = makeRouter()
        dispatcher.setResponder(router.buildResponder())
        let app = Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [ConnectionCounter(metrics: metrics)])),
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: nil),
            onServerRunning: { channel in
                logger.info(
                    "tessera node \(config.nodeID) serving on http://\(channel.localAddress?.description ?? config.address)"
                )
            },
            logger: logger)
        let maintenance = MaintenanceService(engine: services.engine)
        let cluster = ClusterService(cluster: services.cluster)
        // Services stop in reverse order: the HTTP server first (open streams see the shutdown and end), then
        // maintenance; a second signal or ten seconds end whatever still hangs.
        var groupConfiguration = ServiceGroupConfiguration(
            services: [.init(service: maintenance), .init(service: cluster), .init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(10)
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch {
            services.engine.close()
            throw error
        }
        services.engine.close()
        logger.info("tessera node \(config.nodeID) stopped; storage flushed")
    }
}

/// Runs the engine's background work as a service.
struct MaintenanceService: Service {
    let engine: StorageEngine

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await engine.runMaintenance()
        }
    }
}

/// Answers 405 (not 404) for a known path with an unsupported method.
enum MethodNotAllowed {
    static let routes: [(String, Set<HTTPRequest.Method>)] = [
        ("/v1/keyspaces", [.get]),
        ("/v1/keyspaces/{ks}", [.get, .put, .delete]),
        ("/v1/keyspaces/{ks}/indexes", [.post]),
        ("/v1/keyspaces/{ks}/indexes/{name}", [.delete]),
        ("/v1/query/{ks}", [.post]),
        ("/v1/kv/{ks}", [.get]),
        ("/v1/kv/{ks}/{key}", [.get, .put, .delete]),
        ("/v1/txn/{ks}", [.post]),
        ("/v1/locks/{name}", [.get, .post, .delete]),
        ("/v1/locks/{name}/renew", [.post]),
        ("/v1/changes/{ks}", [.get]),
        ("/v1/cluster", [.get]),
        ("/v1/cluster/locate/{ks}/{key}", [.get]),
        ("/v1/cluster/nodes/{id}", [.delete]),
        ("/v1/health", [.get]),
        ("/v1/ready", [.get]),
        ("/metrics", [.get]),
    ]
    static let methods: [HTTPRequest.Method] = [.get, .put, .post, .delete, .patch]

    static func register(on router: Router<BasicRequestContext>) {
        for (path, allowed) in routes {
            for method in methods where !allowed.contains(method) {
                router.on(RouterPath(path), method: method) { _, _ -> Response in
                    throw TesseraError(.methodNotAllowed, "\(method) is not allowed on \(path)")
                }
            }
        }
    }
}
