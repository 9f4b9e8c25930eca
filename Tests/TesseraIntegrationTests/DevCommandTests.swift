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
}
