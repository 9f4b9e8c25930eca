import Foundation
import ServiceLifecycle
import TesseraCluster
import TesseraCore
import TesseraStorage

/// What the cluster layer asks of this node's HTTP layer: apply gossiped keyspace definitions, answer
/// forwarded requests, and stop once the node has left.
struct NodeClusterHooks: ClusterHooks {
    let services: NodeServices
    let dispatcher: LocalDispatcher

    func applyKeyspace(name: String, config: [UInt8]) async throws {
        guard case .object(let object) = try JSONParser.parse(config) else {
            throw TesseraError.badRequest("a gossiped keyspace definition is not a JSON object")
        }
        _ = try await KeyspaceRoutes(services: services).apply(name, JSONFields(object: object))
    }

    func dropKeyspace(name: String) async throws {
        try await services.engine.dropKeyspace(name)
        services.indexes.drop(name)
    }

    func forward(operation: String, keyspace: String, name: String, body: [UInt8], headers: [String: String]) async
        -> (status: Int, body: [UInt8], headers: [String: String])
    {
        guard operation == "http", let method = headers[":method"] else {
            return ClusterNode.encodeError(TesseraError.badRequest("operation \(operation) cannot be forwarded"))
        }
        var fields = headers
        fields[":method"] = nil
        return await dispatcher.dispatch(method: method, path: name, headers: fields, body: body)
    }

    func leftCluster() {
        services.logger.info("node \(services.config.nodeID) left the cluster; stopping")
        kill(getpid(), SIGTERM)
    }
}

/// Runs the cluster layer as a service of the node.
struct ClusterService: Service {
    let cluster: ClusterNode

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await cluster.run()
        } onGracefulShutdown: {
            cluster.shutdown()
        }
    }
}
