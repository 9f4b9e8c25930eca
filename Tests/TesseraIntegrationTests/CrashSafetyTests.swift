import Foundation
import Synchronization
import TesseraClient
import XCTest

/// Several rounds of concurrent writers, `kill -9` at a random moment, restart: every acknowledged write is
/// read back with its last acknowledged value.
final class CrashSafetyTests: NodeTestCase {
    // Small snapshots so that rounds cross log rotations, snapshots and segment deletion.
    override var extraArguments: [String] { ["--snapshot-bytes", "65536"] }

    final class Acknowledged: Sendable {
        let values = Mutex<[String: Int]>([:])
    }

    func testAcknowledgedWritesSurviveKill9() async throws {
        var rng = SystemRandomNumberGenerator()
        let acknowledged = Acknowledged()
        for round in 0..<4 {
            let writers = 16
            let url = node.url
            let load = Task {
                let writer = TesseraClient(baseURL: url, connections: writers, timeoutSeconds: 5)
                await withTaskGroup(of: Void.self) { group in
                    for w in 0..<writers {
                        group.addTask {
                            var n = 0
                            while !Task.isCancelled {
                                n += 1
                                let key = "w\(w)-k\(n % 25)"
                                let value = round * 1_000_000 + n
                                // Values of about 2 KiB: the number, padded.
                                let body = Array((String(value) + " " + String(repeating: "x", count: 2048)).utf8)
                                guard
                                    let response = try? await writer.send(
                                        "PUT", TesseraClient.itemPath("default", key), body: body),
                                    response.status < 300
                                else { continue }
                                acknowledged.values.withLock { $0[key] = value }
                            }
                        }
                    }
                }
                try? await writer.shutdown()
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 300...900, using: &rng)))
            node.crash()
            load.cancel()
            await load.value
            try await node.start()
            let expected = acknowledged.values.withLock { $0 }
            XCTAssertFalse(expected.isEmpty)
            for (key, value) in expected {
                let response = try await get(key)
                XCTAssertEqual(response.status, 200, "round \(round): acknowledged key \(key) lost")
                // A write in flight at the crash may have landed without its acknowledgement: it is newer.
                let stored = Int(response.text.split(separator: " ").first ?? "") ?? -1
                XCTAssertGreaterThanOrEqual(stored, value, "round \(round): \(key) went back in time")
            }
        }
    }
}
