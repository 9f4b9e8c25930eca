import ArgumentParser
import Foundation
import Logging
import TesseraServer
import TesseraStorage

/// `tessera serve`: one node.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run one Tessera node.")

    @OptionGroup var node: NodeOptions

    func run() async throws {
        let config = try node.config()
        try await TesseraNode(config: config, logger: makeLogger(config.nodeID)).run()
    }
}

/// `tessera dev`: a local cluster in one terminal.
struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a local cluster in the foreground; Ctrl-C stops it.")

    @Option(help: "Number of nodes.") var nodes = 1
    @Flag(help: "Also start a gateway.") var gateway = false
    @Option(help: "Data directory (one folder per node inside it when --nodes > 1).") var dataDir = "./tessera-data"
    @Option(help: "Client listener of the first node; node i listens 10 ports further per step.")
    var listen = "127.0.0.1:7070"

    func run() async throws {
        guard (1...16).contains(nodes) else { throw UsageError(description: "--nodes must be 1...16") }
        if gateway { throw Refusal(message: "the gateway is not built yet; run without --gateway") }
        if nodes == 1 {
            let config = try NodeOptions.parse(["--listen", listen, "--data-dir", dataDir]).config()
            print("tessera dev: 1 node")
            print("  n1  http://\(config.address)  data: \(config.dataDirectory)")
            print("Ctrl-C stops it.")
            try await TesseraNode(config: config, logger: makeLogger("n1")).run()
            return
        }
        try await DevCluster(nodes: nodes, dataDir: dataDir, listen: listen).run()
    }
}

/// The flags of `tessera serve`.
struct NodeOptions: ParsableArguments {
    @Option(help: "Client listener HOST:PORT.") var listen = "127.0.0.1:7070"
    @Option(help: "Data directory.") var dataDir = "./tessera-data"
    @Option(help: "Node id.") var nodeId = "n1"
    @Option(help: "Region.") var region = "local"
    @Option(help: "Node-to-node (gRPC) listener HOST:PORT.") var peerListen = "127.0.0.1:7072"
    @Option(help: "Public gRPC listener (reserved; not served yet).") var grpcListen = "127.0.0.1:7071"
    @Option(help: "Client addresses (HOST:PORT,...) of existing members to join.") var join: String?
    @Option(help: "Milliseconds between heartbeats to each peer.") var gossipIntervalMs = 200
    @Option(help: "Milliseconds between anti-entropy exchanges.") var antiEntropyIntervalMs = 100
    @Option(help: "Milliseconds of stable membership before partitions moved away are dropped.")
    var cleanupDelayMs = 30_000
    @Option(help: "Partitions of a new data directory.") var partitions = 64
    @Option(help: "Sync policy: always (fsync before acknowledging) or interval:MS.") var sync = "always"
    @Option(help: "Largest value in bytes.") var valueBytesMax = 1 << 20
    @Option(help: "Log bytes between snapshots.") var snapshotBytes = 64 << 20
    @Option(help: "Most change events kept per keyspace.") var changeEventsMax = 100_000
    @Option(help: "Milliseconds between SSE keep-alive comments.") var sseKeepaliveMs = 15_000
    @Flag(help: "Allow a non-loopback listener without auth.") var insecure = false

    func config() throws -> NodeConfig {
        var config = NodeConfig()
        let (host, port) = try parseHostPort(listen)
        guard isLoopback(host) || insecure else {
            throw UsageError(
                description:
                    "refusing to listen on \(host) without auth; auth is not built yet, pass --insecure to accept the risk"
            )
        }
        guard (1...65536).contains(partitions) else { throw UsageError(description: "--partitions must be 1...65536") }
        guard (1...(8 << 20)).contains(valueBytesMax) else {
            throw UsageError(description: "--value-bytes-max out of range")
        }
        config.host = host
        config.port = port
        config.dataDirectory = dataDir
        config.nodeID = nodeId
        config.region = region
        config.partitions = partitions
        config.valueBytesMax = valueBytesMax
        config.snapshotLogBytes = max(1 << 16, snapshotBytes)
        config.changeEventsMax = max(1, changeEventsMax)
        config.sseKeepAliveMs = max(10, sseKeepaliveMs)
        config.peerListen = peerListen
        config.grpcListen = grpcListen
        _ = try parseHostPort(peerListen)
        config.join = (join ?? "").split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        for seed in config.join { _ = try parseHostPort(seed) }
        config.gossipIntervalMs = max(20, gossipIntervalMs)
        config.antiEntropyIntervalMs = max(10, antiEntropyIntervalMs)
        config.cleanupDelayMs = max(100, cleanupDelayMs)
        if sync == "always" {
            config.syncPolicy = .always
        } else if sync.hasPrefix("interval:"), let ms = Int(sync.dropFirst("interval:".count)), ms > 0 {
            config.syncPolicy = .interval(milliseconds: ms)
        } else {
            throw UsageError(description: "--sync must be always or interval:MS")
        }
        return config
    }
}

func parseHostPort(_ text: String) throws -> (String, Int) {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
        (0...65535).contains(port)
    else { throw UsageError(description: "expected HOST:PORT, got \(text)") }
    var host = String(text[..<colon])
    if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return (host.isEmpty ? "127.0.0.1" : host, port)
}

func isLoopback(_ host: String) -> Bool {
    host == "localhost" || host == "::1" || host.hasPrefix("127.")
}

func makeLogger(_ label: String) -> Logger {
    var logger = Logger(label: "tessera.\(label)")
    logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    return logger
}
