import Foundation
import TesseraClient
import XCTest

final class MetricsAndCLITests: NodeTestCase {
    func testMetricsExposeEveryListedSeries() async throws {
        _ = try await put("m1", "1")
        _ = try await get("m1")
        _ = try await json("POST", "/v1/locks/m", #"{"ttlMs":60000}"#)
        let text = try await client.send("GET", "/metrics").text
        let samples = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        for name in [
            "process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
            "tessera_http_requests_total", "tessera_http_request_duration_seconds_bucket",
            "tessera_active_connections{protocol=\"http\"}", "tessera_keys", "tessera_storage_bytes",
            "tessera_locks_held", "tessera_subscribers{kind=\"sse\"}",
        ] {
            XCTAssertTrue(samples.contains { $0.hasPrefix(name) }, "no sample of \(name)")
        }
        // Queues are not built: the series is declared, with no samples yet.
        XCTAssertTrue(text.contains("# TYPE tessera_queue_jobs gauge"))
        XCTAssertTrue(text.contains(#"route="/v1/kv/{ks}/{key}""#))
        XCTAssertFalse(text.contains("m1\""), "raw paths must not be labels")
        XCTAssertTrue(text.contains(#"tessera_keys{keyspace="default"} 1"#))
        XCTAssertTrue(text.contains("tessera_locks_held 1"))
        func value(_ metric: String) -> Double {
            text.split(separator: "\n").first { $0.hasPrefix(metric + " ") }.flatMap {
                Double($0.split(separator: " ")[1])
            } ?? 0
        }
        XCTAssertGreaterThan(value("process_resident_memory_bytes"), 1_000_000)
        XCTAssertGreaterThan(value("process_open_fds"), 3)
        XCTAssertGreaterThan(value("process_cpu_seconds_total"), 0)
        XCTAssertGreaterThan(value("tessera_storage_bytes"), 0)
    }

    func run(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TesseraProcess.binary)
        process.arguments = arguments
        process.environment = ["TESSERA_URL": node.url, "PATH": "/usr/bin:/bin"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testCommandLineClientAndExitCodes() async throws {
        let put = try run(["kv", "put", "default", "cli:1", #"{"a":1}"#])
        XCTAssertEqual(put.status, 0, put.output)
        XCTAssertTrue(put.output.contains("created"))
        let get = try run(["kv", "get", "default", "cli:1", "--json"])
        XCTAssertEqual(get.status, 0)
        XCTAssertTrue(get.output.contains(#""value":{"a":1}"#), get.output)
        let missing = try run(["kv", "get", "default", "nope"])
        XCTAssertEqual(missing.status, 1, "a server-side refusal")
        XCTAssertTrue(missing.output.contains("does not exist"), missing.output)
        XCTAssertEqual(try run(["kv", "get"]).status, 2, "bad usage")
        XCTAssertEqual(try run(["kv", "frobnicate"]).status, 2)
        XCTAssertEqual(try run(["keyspace", "create", "cli", "--consistency", "strong"]).status, 0)
        XCTAssertTrue(try run(["keyspace", "list"]).output.contains("cli"))
        XCTAssertTrue(try run(["keyspace", "show", "cli", "--json"]).output.contains(#""consistency":"strong""#))
        let txn = try run(["txn", "-"], stdin: #"{"success":[{"op":"incr","key":"n","by":5}]}"#)
        XCTAssertEqual(txn.status, 0, txn.output)
        XCTAssertTrue(txn.output.contains("5"))
        let lock = try run(["lock", "acquire", "cli-lock", "--json"])
        XCTAssertEqual(lock.status, 0)
        XCTAssertEqual(try run(["lock", "acquire", "cli-lock"]).status, 1)
        let scan = try run(["kv", "scan", "default", "--prefix", "cli"])
        XCTAssertTrue(scan.output.contains("cli:1"), scan.output)
        XCTAssertTrue(try run(["cluster", "status"]).output.contains("n1"))
        XCTAssertEqual(try run(["keyspace", "drop", "cli"]).status, 0)
        let bench = try run(["bench", "--duration", "1", "--concurrency", "4", "--keys", "100", "--json"])
        XCTAssertEqual(bench.status, 0, bench.output)
        XCTAssertTrue(bench.output.contains("p99Ms"))
        let unreachable = try run(["kv", "get", "default", "x", "--url", "http://127.0.0.1:1"])
        XCTAssertEqual(unreachable.status, 1)
    }
}
