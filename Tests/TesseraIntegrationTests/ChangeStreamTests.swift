import Foundation
import Synchronization
import TesseraClient
import TesseraCore
import XCTest

final class ChangeStreamTests: NodeTestCase {
    override var extraArguments: [String] { ["--sse-keepalive-ms", "200", "--change-events-max", "20"] }

    func testLongPollAnswersAtOnceOrWhenAWriteArrives() async throws {
        let now = try await client.send("GET", "/v1/changes/default", query: [("wait", "0")]).json()
        let cursor = now["cursor"]!.stringValue!
        _ = try await put("a", "1")
        let immediate = try await client.send(
            "GET", "/v1/changes/default", query: [("cursor", cursor), ("wait", "10")]
        ).json()
        XCTAssertEqual(immediate["events"]?.arrayValue?.map { $0["key"]?.stringValue }, ["a"])
        XCTAssertEqual(immediate["events"]?.arrayValue?.first?["type"]?.stringValue, "put")
        XCTAssertEqual(immediate["events"]?.arrayValue?.first?["value"], .number(1))
        let next = immediate["cursor"]!.stringValue!
        let http = client!
        async let held = http.send(
            "GET", "/v1/changes/default", query: [("cursor", next), ("wait", "20"), ("prefix", "b")])
        try await Task.sleep(for: .milliseconds(200))
        _ = try await put("other", "1")  // filtered out by the prefix: the poll keeps waiting
        _ = try await client.send("DELETE", TesseraClient.itemPath("default", "a"))
        _ = try await put("b1", "2")
        let woken = try await held.json()
        XCTAssertEqual(woken["events"]?.arrayValue?.map { $0["key"]?.stringValue }, ["b1"])
        let empty = try await client.send(
            "GET", "/v1/changes/default", query: [("cursor", woken["cursor"]!.stringValue!), ("wait", "0.2")]
        ).json()
        XCTAssertEqual(empty["events"]?.arrayValue?.count, 0)
        let all = try await client.send("GET", "/v1/changes/default", query: [("cursor", cursor)]).json()
        XCTAssertEqual(all["events"]?.arrayValue?.map { $0["type"]?.stringValue }, ["put", "put", "delete", "put"])
    }

    func testChangeHistorySurvivesRestarts() async throws {
        let start = try await client.send("GET", "/v1/changes/default").json()["cursor"]!.stringValue!
        for i in 0..<5 { _ = try await put("h\(i)", "\(i)") }
        for crash in [false, true, false] {
            try await restart(crash: crash)
            let history = try await client.send("GET", "/v1/changes/default", query: [("cursor", start)])
            XCTAssertEqual(history.status, 200, history.text)
            let events = try history.json()["events"]?.arrayValue ?? []
            XCTAssertEqual(
                events.compactMap { $0["key"]?.stringValue }, (0..<5).map { "h\($0)" },
                "after restart (crash: \(crash))")
        }
    }

    func testCursorPastRetentionIs410AndBogusCursorIs400() async throws {
        let start = try await client.send("GET", "/v1/changes/default").json()["cursor"]!.stringValue!
        for i in 0..<30 { _ = try await put("k\(i)", "\(i)") }
        let expired = try await client.send("GET", "/v1/changes/default", query: [("cursor", start)])
        XCTAssertEqual(expired.status, 410)
        XCTAssertEqual(expired.errorCode, "cursor_expired")
        let earliest = try await client.send("GET", "/v1/changes/default", query: [("cursor", "earliest")]).json()
        XCTAssertEqual(earliest["events"]?.arrayValue?.count, 20)
        let v43 = try await client.send("GET", "/v1/changes/default", query: [("cursor", "xyz")]).status
        XCTAssertEqual(v43, 400)
        let v44 = try await client.send("GET", "/v1/changes/default", query: [("cursor", "999999999")]).status
        XCTAssertEqual(v44, 400)
        let v45 = try await client.send("GET", "/v1/changes/default", query: [("wait", "61")]).status
        XCTAssertEqual(v45, 400)
        let v46 = try await client.send("GET", "/v1/changes/nope").status
        XCTAssertEqual(v46, 404)
    }

    final class Collected: Sendable {
        let text = Mutex("")
    }

    /// Reads an SSE stream until `until` holds on the text received.
    static func readStream(
        url: String, headers: [(String, String)] = [], query: [(String, String)] = [],
        until: @escaping @Sendable (String) -> Bool
    ) async throws -> String {
        let collected = Collected()
        let stream = TesseraClient(baseURL: url, connections: 1)
        defer { Task { try? await stream.shutdown() } }
        let status = try await stream.stream("/v1/changes/default", query: query, headers: headers) { chunk in
            let text = collected.text.withLock {
                $0 += String(decoding: chunk, as: UTF8.self)
                return $0
            }
            return !until(text)
        }
        XCTAssertEqual(status, 200)
        return collected.text.withLock { $0 }
    }

    func testServerSentEventsResumeWithLastEventID() async throws {
        let cursor = try await client.send("GET", "/v1/changes/default").json()["cursor"]!.stringValue!
        let url = node.url
        async let first = Self.readStream(url: url, query: [("cursor", cursor)]) {
            $0.components(separatedBy: "event: put").count > 2
        }
        try await Task.sleep(for: .milliseconds(200))
        _ = try await put("s1", #"{"n":1}"#)
        _ = try await put("s2", #"{"n":2}"#)
        let text = try await first
        XCTAssertTrue(text.contains(#""key":"s1""#))
        XCTAssertTrue(text.contains(#""key":"s2""#))
        let firstID = text.components(separatedBy: "\n").first { $0.hasPrefix("id: ") }!.dropFirst(4)
        // Resume after the first event: only s2 and what follows.
        _ = try await put("s3", "3")
        let resumed = try await Self.readStream(url: url, headers: [("Last-Event-ID", String(firstID))]) {
            $0.contains(#""key":"s3""#)
        }
        XCTAssertFalse(resumed.contains(#""key":"s1""#))
        XCTAssertTrue(resumed.contains(#""key":"s2""#))
    }

    func testIdleStreamsGetKeepAliveComments() async throws {
        let text = try await Self.readStream(url: node.url) { $0.contains(": keep-alive") }
        XCTAssertTrue(text.hasPrefix(": connected"))
    }
}

/// SIGTERM with an open event stream and a long poll still shuts down gracefully and promptly.
final class ShutdownWithStreamsTests: NodeTestCase {
    func testShutdownEndsOpenStreams() async throws {
        let url = node.url
        let stream = Task {
            let client = TesseraClient(baseURL: url, connections: 1)
            _ = try? await client.stream("/v1/changes/default") { _ in true }
            try? await client.shutdown()
        }
        let http = client!
        let poll = Task { try? await http.send("GET", "/v1/changes/default", query: [("wait", "60")]) }
        try await Task.sleep(for: .milliseconds(300))
        // stop() answers nil when the node had to be killed after 15 s: the streams must not hold the shutdown.
        XCTAssertEqual(node.stop(), 0, node.log)
        XCTAssertTrue(node.log.contains("storage flushed"), node.log)
        stream.cancel()
        _ = await poll.value
        _ = await stream.value
    }
}
