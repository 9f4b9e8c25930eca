import Foundation
import TesseraClient
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// A real `tessera serve` process on a free loopback port, stopped by the test that started it.
final class TesseraProcess: @unchecked Sendable {
    let port: Int
    /// The node-to-node port (fixed for the life of the object, so that a restart keeps its address).
    let peerPort: Int
    let dataDirectory: String
    let extraArguments: [String]
    private(set) var process: Process?
    let logPath: String

    var url: String { "http://127.0.0.1:\(port)" }

    init(dataDirectory: String, extraArguments: [String] = []) {
        self.port = TesseraProcess.freePort()
        self.peerPort = TesseraProcess.freePort()
        self.dataDirectory = dataDirectory
        self.extraArguments = extraArguments
        self.logPath = dataDirectory + ".log"
    }

    /// The `tessera` binary built next to the test bundle (or TESSERA_BINARY).
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["TESSERA_BINARY"] { return path }
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tessera")
                .path,
            Bundle.main.bundleURL.appendingPathComponent("tessera").path,
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("tessera").path,
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug/tessera").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
    }

    /// A port that was free a moment ago (bound to 0 by the kernel, then released).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Starts the node and waits until `/v1/ready` answers (a joining node: until it has copied its share).
    func start(readyWithinSeconds: Int = 15) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TesseraProcess.binary)
        process.arguments =
            [
                "serve", "--listen", "127.0.0.1:\(port)", "--peer-listen", "127.0.0.1:\(peerPort)", "--data-dir",
                dataDirectory,
            ]
            + extraArguments
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)!
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
        let client = TesseraClient(baseURL: url, connections: 1, timeoutSeconds: 2)
        defer { Task { try? await client.shutdown() } }
        for _ in 0..<(readyWithinSeconds * 20) {
            if let response = try? await client.send("GET", "/v1/ready"), response.status == 200 { return }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        throw NSError(
            domain: "TesseraProcess", code: 1, userInfo: [NSLocalizedDescriptionKey: "node did not start: \(output)"])
    }

    /// Sends a signal.
    func signal(_ signal: Int32) {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, signal)
    }

    /// `kill -9`, then waits for the process to be gone.
    func crash() {
        signal(SIGKILL)
        process?.waitUntilExit()
        process = nil
    }

    /// SIGTERM and wait (graceful shutdown); returns the exit status, or nil when SIGKILL was needed after
    /// 15 seconds.
    @discardableResult
    func stop() -> Int32? {
        guard let process else { return nil }
        var killed = false
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(15)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed = true
            }
        }
        process.waitUntilExit()
        self.process = nil
        return killed ? nil : process.terminationStatus
    }

    /// What the process printed.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    var exitStatus: Int32? { process.flatMap { $0.isRunning ? nil : $0.terminationStatus } }
}

/// A test case that starts one node per test and stops it afterwards.
class NodeTestCase: XCTestCase {
    var node: TesseraProcess!
    var client: TesseraClient!
    var dataDirectory: String!

    var extraArguments: [String] { [] }

    override func setUp() async throws {
        dataDirectory = NSTemporaryDirectory() + "tessera-it-" + UUID().uuidString
        node = TesseraProcess(dataDirectory: dataDirectory, extraArguments: extraArguments)
        try await node.start()
        client = TesseraClient(baseURL: node.url, connections: 64, timeoutSeconds: 30)
    }

    override func tearDown() async throws {
        try? await client?.shutdown()
        node?.stop()
        try? FileManager.default.removeItem(atPath: dataDirectory)
        try? FileManager.default.removeItem(atPath: dataDirectory + ".log")
    }

    /// Restarts the node on the same data directory and port.
    func restart(crash: Bool) async throws {
        if crash { node.crash() } else { node.stop() }
        try await node.start()
    }

    func put(
        _ key: String, _ value: String, ks: String = "default", type: String = "application/json",
        headers: [(String, String)] = [], query: [(String, String)] = []
    )
        async throws -> ClientResponse
    {
        try await client.send(
            "PUT", TesseraClient.itemPath(ks, key), query: query, headers: [("Content-Type", type)] + headers,
            body: Array(value.utf8))
    }

    func get(_ key: String, ks: String = "default", headers: [(String, String)] = []) async throws -> ClientResponse {
        try await client.send("GET", TesseraClient.itemPath(ks, key), headers: headers)
    }

    func json(_ method: String, _ path: String, _ body: String, query: [(String, String)] = []) async throws
        -> ClientResponse
    {
        try await client.send(
            method, path, query: query, headers: [("Content-Type", "application/json")], body: Array(body.utf8))
    }
}

extension TesseraClient {
    /// Sends a JSON body.
    func sendJSON(_ method: String, _ path: String, _ body: String) async throws -> ClientResponse {
        try await send(method, path, headers: [("Content-Type", "application/json")], body: Array(body.utf8))
    }
}
