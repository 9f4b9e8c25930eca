import Foundation
import TesseraClient

/// `tessera dev --nodes N`: N `tessera serve` child processes on loopback (node i: client port base+10i, peer
/// port base+10i+2, data in DIR/n<i>). The first starts alone; each other joins it, one after the other, so
/// that each join moves data once. Ctrl-C (or SIGTERM) stops them all gracefully.
struct DevCluster {
    let nodes: Int
    let dataDir: String
    let listen: String

    func run() async throws {
        let (host, basePort) = try parseHostPort(listen)
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        var children: [Process] = []
        let stop = {
            for child in children where child.isRunning { kill(child.processIdentifier, SIGTERM) }
        }
        let sources = [SIGINT, SIGTERM].map { signalNumber in
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .main)
            source.setEventHandler { stop() }
            source.resume()
            return source
        }
        say("tessera dev: \(nodes) nodes")
        let first = "\(host):\(basePort)"
        for index in 0..<nodes {
            let id = "n\(index + 1)"
            let port = basePort + 10 * index
            let directory = dataDir + "/" + id
            var arguments = [
                "serve", "--listen", "\(host):\(port)", "--peer-listen", "\(host):\(port + 2)", "--node-id", id,
                "--data-dir", directory,
            ]
            let existing = FileManager.default.fileExists(atPath: directory + "/cluster.json")
            if index > 0 && !existing { arguments += ["--join", first] }
            let child = Process()
            child.executableURL = executable
            child.arguments = arguments
            try child.run()
            children.append(child)
            say("  \(id)  http://\(host):\(port)  peer \(host):\(port + 2)  data: \(directory)")
            try await waitReady("\(host):\(port)", child: child)
        }
        say("all \(nodes) nodes are up. Try: tessera cluster status; Ctrl-C stops them.")
        while children.contains(where: \.isRunning) { try await Task.sleep(for: .milliseconds(200)) }
        _ = sources
        say("tessera dev: all nodes stopped")
    }

    /// Waits until the node answers `GET /v1/ready` (it has joined and copied its share).
    private func waitReady(_ address: String, child: Process) async throws {
        let client = TesseraClient(baseURL: "http://\(address)")
        defer { Task { try? await client.shutdown() } }
        for _ in 0..<1200 {
            guard child.isRunning else { throw Refusal(message: "node at \(address) exited during start") }
            if let response = try? await client.send("GET", "/v1/ready"), response.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Refusal(message: "node at \(address) did not become ready within 2 minutes")
    }
}

/// Prints a line at once (unbuffered), also when the output is a pipe or a file.
private func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
