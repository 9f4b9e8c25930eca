import Foundation
import TesseraClient
import XCTest

/// Bad input of every kind gets a 4xx JSON error, never a 5xx, and the node stays up with nothing lost.
final class BadInputTests: NodeTestCase {
    func assertError(
        _ response: ClientResponse, _ status: Int, _ code: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(response.status, status, response.text, file: file, line: line)
        XCTAssertEqual(response.errorCode, code, response.text, file: file, line: line)
        XCTAssertEqual(response.headers["content-type"], "application/json", file: file, line: line)
    }

    func testMalformedRequestsAreRefusedCleanly() async throws {
        _ = try await put("keep", "\"safe\"")
        let v1 = try await put("j", "{not json")
        assertError(v1, 400, "bad_request")
        let v2 = try await put("j", "[1,2", type: "application/json; charset=utf-8")
        assertError(v2, 400, "bad_request")
        let v3 = try await json("POST", "/v1/txn/default", "{")
        assertError(v3, 400, "bad_request")
        let v4 = try await json("POST", "/v1/txn/default", "[]")
        assertError(v4, 400, "bad_request")
        let v5 = try await json("POST", "/v1/txn/default", #"{"compare":"x"}"#)
        assertError(v5, 400, "bad_request")
        let v6 = try await json("POST", "/v1/txn/default", #"{"success":[{"op":"explode","key":"a"}]}"#)
        assertError(v6, 400, "bad_request")
        let v7 = try await json("POST", "/v1/txn/default", #"{"success":[{"op":"incr","key":"a","by":"x"}]}"#)
        assertError(v7, 400, "bad_request")
        let v8 = try await json("POST", "/v1/txn/default", #"{"compare":[{"key":"a","value":{"almost":1}}]}"#)
        assertError(v8, 400, "bad_request")
        let v9 = try await json("POST", "/v1/txn/default", #"{"success":[{"op":"get","key":""}]}"#)
        assertError(v9, 400, "bad_request")
        let v10 = try await json("POST", "/v1/txn/default", #"{"unknown":1}"#)
        assertError(v10, 400, "bad_request")
        let v11 = try await json("PUT", "/v1/keyspaces/x", #"{"consistency":"maybe"}"#)
        assertError(v11, 400, "bad_request")
        let v12 = try await json("PUT", "/v1/keyspaces/x", #"{"replicas":"three"}"#)
        assertError(v12, 400, "bad_request")
        let v13 = try await json("PUT", "/v1/keyspaces/x", #"{"replicas":0}"#)
        assertError(v13, 400, "bad_request")
        let v14 = try await json("PUT", "/v1/keyspaces/bad%20name", "{}")
        assertError(v14, 400, "bad_request")
        let v15 = try await json("POST", "/v1/locks/l", #"{"ttlMs":-5}"#)
        assertError(v15, 400, "bad_request")
        let v16 = try await json("POST", "/v1/locks/l", #"{"ttlMs":"soon"}"#)
        assertError(v16, 400, "bad_request")
        let v17 = try await json("POST", "/v1/locks/l/renew", #"{"leaseId":"nope"}"#)
        assertError(v17, 404, "lease_not_found")
        let v18 = try await client.send("DELETE", "/v1/locks/l")
        assertError(v18, 400, "bad_request")
        let deep = String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000)
        let v19 = try await put("deep", deep)
        assertError(v19, 400, "bad_request")
        let v20 = try await get("keep").text
        XCTAssertEqual(v20, "\"safe\"")
    }

    func testKeysValuesAndEncodings() async throws {
        let v21 = try await client.send("GET", "/v1/kv/default/" + String(repeating: "k", count: 1025))
        assertError(v21, 400, "bad_request")
        let v22 = try await put(String(repeating: "k", count: 1024), "1").status
        XCTAssertEqual(v22, 201)
        XCTAssertEqual(rawStatus("GET /v1/kv/default/%ZZ"), 400)
        XCTAssertEqual(rawStatus("GET /v1/kv/default/%FF%FE"), 400)
        XCTAssertEqual(rawStatus("PUT /v1/kv/default/%E2%82", body: "x"), 400)
        XCTAssertEqual(rawStatus("GET /v1/kv/bad%2Fks/k"), 400)
        let big = [UInt8](repeating: 65, count: (1 << 20) + 1)
        let v26 = try await client.send("PUT", TesseraClient.itemPath("default", "big"), body: big)
        assertError(v26, 413, "payload_too_large")
        let v27 = try await client.send("PUT", TesseraClient.itemPath("default", "max"), body: Array(big.dropLast()))
            .status
        XCTAssertEqual(v27, 201)
        let v28 = try await put("t", "1", query: [("ttl", "-1")])
        assertError(v28, 400, "bad_request")
        let v29 = try await put("t", "1", query: [("ttl", "soon")])
        assertError(v29, 400, "bad_request")
        let v30 = try await put("t", "1", headers: [("If-None-Match", "\"v\"")])
        assertError(v30, 400, "bad_request")
        let v31 = try await put("t", "1", headers: [("Tessera-Fence", "nocolon")])
        assertError(v31, 400, "bad_request")
        let v32 = try await put("t", "1", headers: [("Tessera-Consistency", "most")])
        assertError(v32, 400, "bad_request")
        let v33 = try await put("k", "1", ks: "missing")
        assertError(v33, 404, "keyspace_not_found")
        let v34 = try await client.send("GET", "/v1/kv/default", query: [("cursor", "!!!")])
        assertError(v34, 400, "bad_request")
        let v35 = try await client.send("GET", "/v1/kv/default", query: [("limit", "0")])
        assertError(v35, 400, "bad_request")
        let v36 = try await client.send("GET", "/v1/kv/default", query: [("limit", "lots")])
        assertError(v36, 400, "bad_request")
        let v37 = try await client.send("GET", "/v1/nothing/here")
        assertError(v37, 404, "not_found")
        let v38 = try await client.send("PATCH", "/v1/kv/default/x")
        assertError(v38, 405, "method_not_allowed")
        let v39 = try await client.send("POST", "/v1/kv/default")
        assertError(v39, 405, "method_not_allowed")
        let v40 = try await client.send("GET", "/v1/health").status
        XCTAssertEqual(v40, 200)
    }

    /// Sends a raw request line over a socket (no client-side normalisation of the path) and returns the status.
    func rawStatus(_ requestLine: String, body: String = "") -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(node.port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return -1 }
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
            XCTAssertEqual(connected, 0)
            _ = garbage.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            close(fd)
        }
        try await Task.sleep(for: .milliseconds(100))
        let v41 = try await client.send("GET", "/v1/health").status
        XCTAssertEqual(v41, 200)
        let v42 = try await put("still", "1").status
        XCTAssertEqual(v42, 201)
    }
}
