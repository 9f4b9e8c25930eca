import Foundation
import TesseraClient
import XCTest

/// Real network partitions between `tessera` processes, with Linux network namespaces: every node runs in its
/// own namespace, joined to the others through a bridge (the cluster network, which a test can cut per node),
/// and to the test through a point-to-point link of its own (which stays up, so the test can talk to both sides
/// of a partition). Needs root and `ip netns`; `available()` says whether this machine allows it.
final class NetworkLab: @unchecked Sendable {
    struct Node {
        var id: String
        var namespace: String
        var clusterLink: String
        var clusterIP: String
        var clientIP: String
        var process: Process?
        var dataDirectory: String
    }

    let tag: String
    let subnet: Int
    let bridge: String
    let root: String
    private(set) var nodes: [String: Node] = [:]
    private var clients: [String: TesseraClient] = [:]
    private var order: [String] = []

    /// Whether network namespaces can be made here (root, iproute2, the kernel's permission).
    static func available() -> String? {
        guard getuid() == 0 else { return "not root" }
        guard
            FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
                || FileManager.default.isExecutableFile(
                    atPath: "/sbin/ip")
                || FileManager.default.isExecutableFile(atPath: "/usr/bin/ip")
        else { return "no ip command (iproute2)" }
        let probe = "tsprobe\(Int.random(in: 1000...9999))"
        guard shell("ip netns add \(probe)") == 0 else { return "ip netns add is not permitted" }
        _ = shell("ip netns del \(probe)")
        return nil
    }

    @discardableResult
    static func shell(_ command: String) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command + " >/dev/null 2>&1"]
        process.environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
        do { try process.run() } catch { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    init() throws {
        tag = String(format: "%04x", Int.random(in: 0..<0xFFFF))
        subnet = Int.random(in: 100...199)
        bridge = "tb\(tag)"
        root = NSTemporaryDirectory() + "tessera-netlab-\(tag)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try run("ip link add \(bridge) type bridge")
        try run("ip link set \(bridge) up")
    }

    private func run(_ command: String) throws {
        guard Self.shell(command) == 0 else {
            throw NSError(domain: "NetworkLab", code: 1, userInfo: [NSLocalizedDescriptionKey: "failed: \(command)"])
        }
    }

    /// Creates node `index`'s namespace and links, starts `tessera serve` in it (joining the first node), and
    /// waits until it is ready.
    func start(_ id: String) async throws {
        let index = order.count + 1
        let namespace = "tn\(tag)\(index)"
        let clusterLink = "tv\(tag)\(index)"
        let clientLink = "tc\(tag)\(index)"
        let clusterIP = "10.\(subnet).0.\(10 + index)"
        let clientIP = "10.\(subnet).\(100 + index).2"
        try run("ip netns add \(namespace)")
        try run("ip netns exec \(namespace) ip link set lo up")
        try run("ip link add \(clusterLink)a type veth peer name \(clusterLink)b")
        try run("ip link set \(clusterLink)b netns \(namespace)")
        try run("ip link set \(clusterLink)a master \(bridge)")
        try run("ip link set \(clusterLink)a up")
        try run("ip netns exec \(namespace) ip addr add \(clusterIP)/24 dev \(clusterLink)b")
        try run("ip netns exec \(namespace) ip link set \(clusterLink)b up")
        try run("ip link add \(clientLink)a type veth peer name \(clientLink)b")
        try run("ip link set \(clientLink)b netns \(namespace)")
        try run("ip addr add 10.\(subnet).\(100 + index).1/30 dev \(clientLink)a")
        try run("ip link set \(clientLink)a up")
        try run("ip netns exec \(namespace) ip addr add \(clientIP)/30 dev \(clientLink)b")
        try run("ip netns exec \(namespace) ip link set \(clientLink)b up")
        var node = Node(
            id: id, namespace: namespace, clusterLink: clusterLink, clusterIP: clusterIP, clientIP: clientIP,
            process: nil, dataDirectory: root + "/" + id)
        var arguments = [
            "netns", "exec", namespace, TesseraProcess.binary, "serve", "--listen", "0.0.0.0:7070", "--insecure",
            "--peer-listen", "\(clusterIP):7072", "--node-id", id, "--data-dir", node.dataDirectory,
            "--gossip-interval-ms", "200", "--anti-entropy-interval-ms", "20",
        ]
        if let first = order.first, let seed = nodes[first] { arguments += ["--join", "\(seed.clusterIP):7070"] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        if !FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") {
            process.executableURL = URL(fileURLWithPath: "/sbin/ip")
        }
        process.arguments = arguments
        let logPath = node.dataDirectory + ".log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        node.process = process
        nodes[id] = node
        order.append(id)
        let client = TesseraClient(baseURL: "http://\(clientIP):7070", connections: 4, timeoutSeconds: 10)
        clients[id] = client
        for _ in 0..<600 {
            if let response = try? await client.send("GET", "/v1/ready"), response.status == 200 { return }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        throw NSError(
            domain: "NetworkLab", code: 2, userInfo: [NSLocalizedDescriptionKey: "\(id) not ready: \(output)"])
    }

    func client(_ id: String) -> TesseraClient { clients[id]! }

    /// Cuts node `id` off the cluster network (the test still reaches it).
    func isolate(_ id: String) throws { try run("ip link set \(nodes[id]!.clusterLink)a down") }

    /// Reconnects node `id` to the cluster network.
    func heal(_ id: String) throws { try run("ip link set \(nodes[id]!.clusterLink)a up") }

    /// Stops every node and removes the namespaces, links and data.
    func shutdown() async {
        for node in nodes.values {
            if let process = node.process, process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        for client in clients.values { try? await client.shutdown() }
        for node in nodes.values { Self.shell("ip netns del \(node.namespace)") }
        Self.shell("ip link del \(bridge)")
        try? FileManager.default.removeItem(atPath: root)
    }
}
