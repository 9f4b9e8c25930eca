import Foundation
import TesseraClient
import XCTest

/// Bad input of every kind gets a 4xx JSON error, never a 5xx, and the node stays up with nothing lost.
final class BadInputTests: NodeTestCase {
    func assertError(
        _ request: @autoclosure () async throws -> ClientResponse, _ status: Int, _ code: String,
        file: StaticString = #filePath, line: UInt = #line
    ) async throws {
        let response = try await request()
        XCTAssertEqual(response.status, status, response.text, file: file, line: line)
        XCTAssertEqual(response.errorCode, code, response.text, file: file, line: line)
        XCTAssertEqual(response.headers["content-type"], "application/json", file: file, line: line)
    }

    func testMalformedRequestsAreRefusedCleanly() async throws {
        _ = try await put("keep", "\"safe\"")
        try await assertError(await put("j", "{not json"), 400, "bad_request")
        try await assertError(await put("j", "[1,2", type: "application/json; charset=utf-8"), 400, "bad_request")
        try await assertError(await json("POST", "/v1/txn/default", "{"), 400, "bad_request")
        try await assertError(await json("POST", "/v1/txn/default", "[]"), 400, "bad_request")
        try await assertError(await json("POST", "/v1/txn/default", #"{"compare":"x"}"#), 400, "bad_request")
        try await assertError(
            await json("POST", "/v1/txn/default", #"{"success":[{"op":"explode","key":"a"}]}"#), 400, "bad_request")
        try await assertError(
            await json("POST", "/v1/txn/default", #"{"success":[{"op":"incr","key":"a","by":"x"}]}"#), 400,
            "bad_request")
        try await assertError(
            await json("POST", "/v1/txn/default", #"{"compare":[{"key":"a","value":{"almost":1}}]}"#), 400,
            "bad_request")
        try await assertError(
            await json("POST", "/v1/txn/default", #"{"success":[{"op":"get","key":""}]}"#), 400, "bad_request")
        try await assertError(await json("POST", "/v1/txn/default", #"{"unknown":1}"#), 400, "bad_request")
        try await assertError(await json("PUT", "/v1/keyspaces/x", #"{"consistency":"maybe"}"#), 400, "bad_request")
        try await assertError(await json("PUT", "/v1/keyspaces/x", #"{"replicas":"three"}"#), 400, "bad_request")
        try await assertError(await json("PUT", "/v1/keyspaces/x", #"{"replicas":0}"#), 400, "bad_request")
        try await assertError(await json("PUT", "/v1/keyspaces/bad%20name", "{}"), 400, "bad_request")
        try await assertError(await json("POST", "/v1/locks/l", #"{"ttlMs":-5}"#), 400, "bad_request")
        try await assertError(await json("POST", "/v1/locks/l", #"{"ttlMs":"soon"}"#), 400, "bad_request")
        try await assertError(await json("POST", "/v1/locks/l/renew", #"{"leaseId":"nope"}"#), 404, "lease_not_found")
        try await assertError(await client.send("DELETE", "/v1/locks/l"), 400, "bad_request")
        let deep = String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000)
        try await assertError(await put("deep", deep), 400, "bad_request")
        let v20 = try await get("keep").text
        XCTAssertEqual(v20, "\"safe\"")
    }

    func testKeysValuesAndEncodings() async throws {
        try await assertError(
            await client.send("GET", "/v1/kv/default/" + String(repeating: "k", count: 1025)), 400, "bad_request")
        let v22 = try await put(String(repeating: "k", count: 1024), "1").status
        XCTAssertEqual(v22, 201)
        XCTAssertEqual(rawStatus("GET /v1/kv/default/%ZZ"), 400)
        XCTAssertEqual(rawStatus("GET /v1/kv/default/%FF%FE"), 400)
        XCTAssertEqual(rawStatus("PUT /v1/kv/default/%E2%82", body: "x"), 400)
        XCTAssertEqual(rawStatus("GET /v1/kv/bad%2Fks/k"), 400)
        let big = [UInt8](repeating: 65, count: (1 << 20) + 1)
        try await assertError(
            await client.send("PUT", TesseraClient.itemPath("default", "big"), body: big), 413, "payload_too_large")
        let v27 = try await client.send("PUT", TesseraClient.itemPath("default", "max"), body: Array(big.dropLast()))
            .status
        XCTAssertEqual(v27, 201)
        try await assertError(await put("t", "1", query: [("ttl", "-1")]), 400, "bad_request")
        try await assertError(await put("t", "1", query: [("ttl", "soon")]), 400, "bad_request")
        try await assertError(await put("t", "1", headers: [("If-None-Match", "\"v\"")]), 400, "bad_request")
        try await assertError(await put("t", "1", headers: [("Tessera-Fence", "nocolon")]), 400, "bad_request")
        try await assertError(await put("t", "1", headers: [("Tessera-Consistency", "most")]), 400, "bad_request")
        try await assertError(await put("k", "1", ks: "missing"), 404, "keyspace_not_found")
        try await assertError(
            await client.send("GET", "/v1/kv/default", query: [("cursor", "!!!")]), 400, "bad_request")
        try await assertError(await client.send("GET", "/v1/kv/default", query: [("limit", "0")]), 400, "bad_request")
        try await assertError(
            await client.send("GET", "/v1/kv/default", query: [("limit", "lots")]), 400, "bad_request")
        try await assertError(await client.send("GET", "/v1/nothing/here"), 404, "not_found")
        try await assertError(await client.send("PATCH", "/v1/kv/default/x"), 405, "method_not_allowed")
        try await assertError(await client.send("POST", "/v1/kv/default"), 405, "method_not_allowed")
        let v40 = try await client.send("GET", "/v1/health").status
        XCTAssertEqual(v40, 200)
    }

    /// A TCP socket connected to the node (the caller closes it), or -1.
    func connectedSocket() -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(node.port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            return -1
        }
        return fd
    }

    /// Sends a raw request line over a socket (no client-side normalisation of the path) and returns the status.
    func rawStatus(_ requestLine: String, body: String = "") -> Int {
        let fd = connectedSocket()
        guard fd >= 0 else { return -1 }
        defer { close(fd) }
        let request =
            "\(requestLine) HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 12 else { return -1 }
        return Int(String(decoding: buffer[9..<12], as: UTF8.self)) ?? -1
    }

    func testGarbageOnTheSocketDoesNotTakeTheNodeDown() async throws {
        for garbage in [
            "GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", String(repeating: "A", count: 100_000), "\u{0}\u{1}\u{2}",
        ] {
            let fd = connectedSocket()
            XCTAssertGreaterThanOrEqual(fd, 0)
            _ = garbage.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            close(fd)
        }
        try await Task.sleep(for: .milliseconds(100))
        let health = try await client.send("GET", "/v1/health").status
        XCTAssertEqual(health, 200)
        let still = try await put("still", "1").status
        XCTAssertEqual(still, 201)
    }
}
