import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOEmbedded
import Synchronization

/// Runs a request that another node forwarded (over the node-to-node transport) through this node's own router,
/// middlewares included, and collects the answer.
final class LocalDispatcher: Sendable {
    private let responder: Mutex<RouterResponder<BasicRequestContext>?> = Mutex(nil)
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func setResponder(_ responder: RouterResponder<BasicRequestContext>) { self.responder.withLock { $0 = responder } }

    func dispatch(method: String, path: String, headers: [String: String], body: [UInt8]) async
        -> (status: Int, body: [UInt8], headers: [String: String])
    {
        guard let responder = responder.withLock({ $0 }) else { return (503, [], [:]) }
        var fields = HTTPFields()
        for (name, value) in headers { if let name = HTTPField.Name(name) { fields[name] = value } }
        fields[Forwarding.header] = Forwarding.nonce
        let head = HTTPRequest(
            method: HTTPRequest.Method(method) ?? .get, scheme: "http", authority: "forwarded", path: path,
            headerFields: fields)
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer(bytes: body)))
        let context = BasicRequestContext(
            source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: logger))
        do {
            let response = try await responder.respond(to: request, context: context)
            var collector = CollectingWriter()
            try await response.body.write(collector.writer)
            var out: [String: String] = [:]
            for field in response.headers { out[field.name.canonicalName] = field.value }
            return (response.status.code, collector.bytes, out)
        } catch {
            return (
                500, Array("{\"error\":{\"code\":\"internal\",\"message\":\"forwarded request failed\"}}".utf8), [:]
            )
        }
    }
}

/// A response body writer that keeps the bytes.
struct CollectingWriter {
    final class Storage: @unchecked Sendable {
        var bytes: [UInt8] = []
    }

    let storage = Storage()
    var bytes: [UInt8] { storage.bytes }

    var writer: Writer { Writer(storage: storage) }

    struct Writer: ResponseBodyWriter {
        let storage: Storage

        mutating func write(_ buffer: ByteBuffer) async throws { storage.bytes += buffer.readableBytesView }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
