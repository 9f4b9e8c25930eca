import Hummingbird
import NIOCore

/// Counts requests and times them by route template (`/v1/kv/{ks}/{key}`, never the raw path).
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: NodeMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let route = context.endpointPath ?? "unmatched"
        metrics.recordRequest(
            method: request.method.rawValue, route: route == "NotFound" ? "unmatched" : route,
            status: response.status.code, duration: ContinuousClock.now - start)
        return response
    }
}

/// Counts open HTTP connections for `tessera_active_connections`.
final class ConnectionCounter: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny
    let metrics: NodeMetrics

    init(metrics: NodeMetrics) { self.metrics = metrics }

    func handlerAdded(context: ChannelHandlerContext) { metrics.connections(protocol: "http", delta: 1) }
    func handlerRemoved(context: ChannelHandlerContext) { metrics.connections(protocol: "http", delta: -1) }
}
