import Foundation
import TesseraClient
import XCTest

/// `tessera dev` runs a node in the foreground and stops cleanly on Ctrl-C (SIGINT), flushing its data.
final class DevCommandTests: XCTestCase {
    func testDevStopsCleanlyOnControlCAndKeepsData() async throws {
        let directory = NSTemporaryDirectory() + "tessera-dev-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = TesseraProcess.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TesseraProcess.binary)
        process.arguments = ["dev", "--listen", "127.0.0.1:\(port)", "--data-dir", directory]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let client = TesseraClient(baseURL: "http://127.0.0.1:\(port)", connections: 1, timeoutSeconds: 5)
        var ready = false
        for _ in 0..<200 where !ready {
            ready = (try? await client.send("GET", "/v1/ready"))?.status == 200
            if !ready { try await Task.sleep(for: .milliseconds(50)) }
        }
        XCTAssertTrue(ready)
        let put = try await client.send("PUT", "/v1/kv/default/dev", body: Array("kept".utf8))
        XCTAssertEqual(put.status, 201)
        try await client.shutdown()
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(text.contains("http://127.0.0.1:\(port)"), text)
        XCTAssertTrue(text.contains("storage flushed"), text)

        let node = TesseraProcess(dataDirectory: directory)
        try await node.start()
        defer { node.stop() }
        let again = TesseraClient(baseURL: node.url, connections: 1)
        let read = try await again.send("GET", "/v1/kv/default/dev")
        try await again.shutdown()
        XCTAssertEqual(read.text, "kept")
    }

    /// A base port with base+10i and base+10i+2 free for `count` nodes (as `tessera dev` lays them out).
    private func freeBase(nodes count: Int) -> Int {
        for _ in 0..<200 {
            let base = Int.random(in: 20_000...55_000)
            let ports = (0..<count).flatMap { [base + 10 * $0, base + 10 * $0 + 2] }
            if ports.allSatisfy(Self.isFree) { return base }
        }
        return 47_000
    }

    private static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        } == 0
    }

    func testDevStartsAThreeNodeClusterAndStopsItOnControlC() async throws {
        let directory = NSTemporaryDirectory() + "tessera-dev3-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let base = freeBase(nodes: 3)
        let logPath = directory + ".log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: logPath) }
        let log = try XCTUnwrap(FileHandle(forWritingAtPath: logPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TesseraProcess.binary)
        process.arguments = ["dev", "--nodes", "3", "--listen", "127.0.0.1:\(base)", "--data-dir", directory]
        process.standardOutput = log
        process.standardError = log
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var text = ""
        for _ in 0..<600 where !text.contains("all 3 nodes are up") {
            try await Task.sleep(for: .milliseconds(100))
            text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if !process.isRunning { break }
        }
        XCTAssertTrue(text.contains("all 3 nodes are up"), text)
        let client = TesseraClient(baseURL: "http://127.0.0.1:\(base + 20)", connections: 1, timeoutSeconds: 5)
        let cluster = try await client.send("GET", "/v1/cluster").json()
        let states = (cluster["nodes"]?.arrayValue ?? []).compactMap { $0["state"]?.stringValue }
        XCTAssertEqual(states, ["up", "up", "up"])
        let put = try await client.send("PUT", "/v1/kv/default/dev3", body: Array("x".utf8))
        XCTAssertEqual(put.status, 201)
        try await client.shutdown()
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        XCTAssertTrue(text.contains("all nodes stopped"), text)
        XCTAssertEqual(text.components(separatedBy: "storage flushed").count - 1, 3, text)
    }
}
