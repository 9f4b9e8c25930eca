import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TesseraCluster
import TesseraCore

/// Forwarding of whole HTTP requests to the node that must serve them (a partition's first live replica, a
/// lock's home), over the node-to-node transport.
enum Forwarding {
    /// Set on a forwarded request by the receiving node's dispatcher (never by the sender): that node serves it
    /// itself and never forwards it again.
    static let header = HTTPField.Name("Tessera-Forwarded")!

    /// A secret of this process that the dispatcher of forwarded requests puts in the header: a client that
    /// sends the header itself cannot pass its request off as forwarded.
    static let nonce = UUID().uuidString

    static func isForwarded(_ request: Request) -> Bool { request.headers[header] == nonce }

    /// Sends the request (with the body already read) to `node` and returns its answer as this node's.
    static func forward(_ request: Request, body: [UInt8], to node: String, cluster: ClusterNode) async throws
        -> Response
    {
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        headers[":method"] = request.method.rawValue
        let answer = try await cluster.forward(
            to: node, operation: "http", keyspace: "", name: request.uri.description, body: body, headers: headers)
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            guard let name = HTTPField.Name(name), name != .contentLength, name != .transferEncoding else { continue }
            fields[name] = value
        }
        return Response(
            status: HTTPResponse.Status(code: answer.status), headers: fields,
            body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}

/// Sends lock requests to the lock's home node: the first live replica of the lock name's partition (locks
/// are held in that node's memory and log; see docs/cluster.md for what a failover breaks).
struct LockForwardingMiddleware: RouterMiddleware {
    let cluster: ClusterNode

    func handle(
        _ request: Request, context: BasicRequestContext,
        next: (Request, BasicRequestContext) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix("/v1/locks/"), !Forwarding.isForwarded(request) else {
            return try await next(request, context)
        }
        let rest = path.dropFirst("/v1/locks/".count)
        let encodedName = rest.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        let name = encodedName.removingPercentEncoding ?? encodedName
        guard !name.isEmpty, let home = cluster.lockHome(name), home != cluster.nodeID else {
            return try await next(request, context)
        }
        let body = try await request.bodyBytes(limit: 64 << 10)
        return try await Forwarding.forward(request, body: body, to: home, cluster: cluster)
    }
}
