import Foundation
import TesseraClient
import TesseraCore
import XCTest

final class ItemsHTTPTests: NodeTestCase {
    func testPutGetDeleteWithVersions() async throws {
        let created = try await put("user:1", #"{"name":"Ada"}"#)
        XCTAssertEqual(created.status, 201)
        let version = try XCTUnwrap(try created.json()["version"]?.stringValue)
        XCTAssertEqual(created.headers["etag"], "\"\(version)\"")
        let read = try await get("user:1")
        XCTAssertEqual(read.status, 200)
        XCTAssertEqual(read.text, #"{"name":"Ada"}"#)
        XCTAssertEqual(read.headers["content-type"], "application/json")
        XCTAssertEqual(read.headers["etag"], "\"\(version)\"")
        let v47 = try await get("user:1", headers: [("If-None-Match", "\"\(version)\"")]).status
        XCTAssertEqual(v47, 304)
        let updated = try await put("user:1", #"{"name":"Ada L"}"#)
        XCTAssertEqual(updated.status, 200)
        XCTAssertNotEqual(try updated.json()["version"]?.stringValue, version)
        let v48 = try await get("user:1", headers: [("If-None-Match", "\"\(version)\"")]).status
        XCTAssertEqual(v48, 200)
        let v49 = try await client.send("DELETE", TesseraClient.itemPath("default", "user:1")).status
        XCTAssertEqual(v49, 204)
        let v50 = try await get("user:1").status
        XCTAssertEqual(v50, 404)
        let again = try await client.send("DELETE", TesseraClient.itemPath("default", "user:1"))
        XCTAssertEqual(again.status, 404)
        XCTAssertEqual(again.errorCode, "not_found")
    }

    func testCompareAndSwapAndCreateOnly() async throws {
        let first = try await put("cas", "1", headers: [("If-None-Match", "*")])
        XCTAssertEqual(first.status, 201)
        let v1 = try first.json()["version"]!.stringValue!
        let dup = try await put("cas", "2", headers: [("If-None-Match", "*")])
        XCTAssertEqual(dup.status, 412)
        XCTAssertEqual(dup.errorCode, "precondition_failed")
        XCTAssertEqual(try dup.json()["error"]?["version"]?.stringValue, v1)
        let swapped = try await put("cas", "2", headers: [("If-Match", "\"\(v1)\"")])
        XCTAssertEqual(swapped.status, 200)
        let stale = try await put("cas", "3", headers: [("If-Match", "\"\(v1)\"")])
        XCTAssertEqual(stale.status, 412)
        let v51 = try await get("cas").text
        XCTAssertEqual(v51, "2")
        let staleDelete = try await client.send(
            "DELETE", TesseraClient.itemPath("default", "cas"), headers: [("If-Match", "\"\(v1)\"")])
        XCTAssertEqual(staleDelete.status, 412)
    }

    func testTTLAndContentTypes() async throws {
        let v52 = try await put("t", "bytes", type: "text/plain", query: [("ttl", "0.3")]).status
        XCTAssertEqual(v52, 201)
        let live = try await get("t")
        XCTAssertEqual(live.headers["content-type"], "text/plain")
        XCTAssertNotNil(live.headers["tessera-expires-at"])
        try await Task.sleep(for: .milliseconds(400))
        let v53 = try await get("t").status
        XCTAssertEqual(v53, 404)
        let binary: [UInt8] = [0, 255, 1, 254]
        _ = try await client.send("PUT", TesseraClient.itemPath("default", "bin"), body: binary)
        let read = try await get("bin")
        XCTAssertEqual(read.body, binary)
        XCTAssertEqual(read.headers["content-type"], "application/octet-stream")
        let scan = try await client.send("GET", "/v1/kv/default", query: [("prefix", "bin")])
        XCTAssertEqual(
            try scan.json()["items"]?.arrayValue?.first?["valueBase64"]?.stringValue, Data(binary).base64EncodedString()
        )
        let v54 = try await put("empty", "", type: "text/plain").status
        XCTAssertEqual(v54, 201)
        let v55 = try await get("empty").body
        XCTAssertEqual(v55, [])
    }

    func testPercentEncodedKeysAndHashTags() async throws {
        let key = "dir/file name ✓"
        let v56 = try await put(key, "1").status
        XCTAssertEqual(v56, 201)
        let v57 = try await get(key).text
        XCTAssertEqual(v57, "1")
        let located = try await client.send("GET", "/v1/cluster/locate/default/" + Names.percentEncode("{eu}:user:1"))
        let other = try await client.send("GET", "/v1/cluster/locate/default/" + Names.percentEncode("{eu}:user:2"))
        XCTAssertEqual(try located.json()["partition"], try other.json()["partition"])
        XCTAssertEqual(try located.json()["partition"]?.int64Value, 23)
        for i in 0..<5 { _ = try await put("{eu}:user:\(i)", "\(i)") }
        let scan = try await client.send("GET", "/v1/kv/default", query: [("prefix", "{eu}:")])
        XCTAssertEqual(scan.headers["tessera-fanout"], "1")
        XCTAssertEqual(try scan.json()["items"]?.arrayValue?.count, 5)
        let wide = try await client.send("GET", "/v1/kv/default", query: [("prefix", "dir")])
        XCTAssertEqual(wide.headers["tessera-fanout"], "64")
    }

    func testScanPagesWithCursor() async throws {
        for i in 0..<25 { _ = try await put(String(format: "s%02d", i), "\(i)") }
        var keys: [String] = []
        var cursor: String?
        repeat {
            var query = [("prefix", "s"), ("limit", "10")]
            if let cursor { query.append(("cursor", cursor)) }
            let page = try await client.send("GET", "/v1/kv/default", query: query).json()
            keys += page["items"]?.arrayValue?.compactMap { $0["key"]?.stringValue } ?? []
            cursor = page["next"]?.stringValue
        } while cursor != nil
        XCTAssertEqual(keys, (0..<25).map { String(format: "s%02d", $0) })
        let range = try await client.send(
            "GET", "/v1/kv/default", query: [("start", "s05"), ("end", "s07"), ("keysOnly", "true")]
        ).json()
        XCTAssertEqual(range["items"]?.arrayValue?.map { $0["key"]?.stringValue }, ["s05", "s06"])
        XCTAssertNil(range["items"]?.arrayValue?.first?["value"])
    }

    func testKeyspaces() async throws {
        let created = try await json(
            "PUT", "/v1/keyspaces/orders", #"{"consistency":"strong","replicas":3,"changeRetentionSeconds":60}"#)
        XCTAssertEqual(created.status, 201)
        let shown = try await client.send("GET", "/v1/keyspaces/orders").json()
        XCTAssertEqual(shown["consistency"]?.stringValue, "strong")
        XCTAssertEqual(shown["changeRetentionSeconds"]?.int64Value, 60)
        let v58 = try await json("PUT", "/v1/keyspaces/orders", #"{"replicas":2}"#).status
        XCTAssertEqual(v58, 200)
        let v59 = try await client.send("GET", "/v1/keyspaces/orders").json()["replicas"]?.int64Value
        XCTAssertEqual(v59, 2)
        let v60 = try await put("o1", "1", ks: "orders").status
        XCTAssertEqual(v60, 201)
        let list = try await client.send("GET", "/v1/keyspaces").json()
        XCTAssertEqual(
            Set(list["keyspaces"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []), ["default", "orders"])
        let v61 = try await client.send("DELETE", "/v1/keyspaces/orders").status
        XCTAssertEqual(v61, 204)
        let gone = try await put("o1", "1", ks: "orders")
        XCTAssertEqual(gone.status, 404)
        XCTAssertEqual(gone.errorCode, "keyspace_not_found")
        let v62 = try await client.send("DELETE", "/v1/keyspaces/default").status
        XCTAssertEqual(v62, 400)
    }

    func testDataSurvivesGracefulRestart() async throws {
        _ = try await put("persist", "42")
        _ = try await json("PUT", "/v1/keyspaces/k2", "{}")
        XCTAssertEqual(node.stop(), 0, "SIGTERM stops the node gracefully with status 0")
        XCTAssertTrue(node.log.contains("storage flushed"), node.log)
        try await node.start()
        let v63 = try await get("persist").text
        XCTAssertEqual(v63, "42")
        let v64 = try await client.send("GET", "/v1/keyspaces/k2").status
        XCTAssertEqual(v64, 200)
    }
}
