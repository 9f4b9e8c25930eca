import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import Synchronization

/// One gRPC client per peer address, created on first use and kept for the life of the node.
final class PeerPool: Sendable {
    typealias PeerClient = Tessera_Peer_V1_Peer.Client<HTTP2ClientTransport.Posix>

    private struct Entry {
        let client: GRPCClient<HTTP2ClientTransport.Posix>
        let task: Task<Void, Never>
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// The client of the peer at `address` (HOST:PORT).
    func client(_ address: String) throws -> PeerClient {
        try entries.withLock { entries in
            if let entry = entries[address] { return PeerClient(wrapping: entry.client) }
            let (host, port) = try Self.split(address)
            var config = HTTP2ClientTransport.Posix.Config.defaults
            config.backoff = .init(initial: .milliseconds(50), max: .milliseconds(500), multiplier: 1.6, jitter: 0.2)
            let transport = try HTTP2ClientTransport.Posix(
                target: .ipv4(host: host, port: port), transportSecurity: .plaintext, config: config)
            let client = GRPCClient(transport: transport)
            let logger = self.logger
            let task = Task {
                do { try await client.runConnections() } catch {
                    logger.debug("peer client \(address) stopped: \(error)")
                }
            }
            entries[address] = Entry(client: client, task: task)
            return PeerClient(wrapping: client)
        }
    }

    /// Stops every client.
    func shutdown() {
        let all = entries.withLock { entries in
            defer { entries = [:] }
            return Array(entries.values)
        }
        for entry in all { entry.client.beginGracefulShutdown() }
    }

    static func split(_ address: String) throws -> (String, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw RPCError(code: .invalidArgument, message: "bad peer address \(address)")
        }
        let host = String(address[..<colon])
        return (host == "localhost" ? "127.0.0.1" : host, port)
    }
}

/// Call options with a deadline.
func callOptions(timeoutMs: Int) -> CallOptions {
    var options = CallOptions.defaults
    options.timeout = .milliseconds(timeoutMs)
    return options
}
