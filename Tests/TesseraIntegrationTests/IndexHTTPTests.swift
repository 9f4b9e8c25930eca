import Foundation
import TesseraClient
import TesseraCore
import XCTest

/// Secondary indexes through the HTTP API: create, write, query, update, delete, restart, query again.
final class IndexHTTPTests: NodeTestCase {
    let definitions = #"""
        {"indexes":[{"name":"by_city","type":"ordered","fields":["city","age"]},
                    {"name":"where","type":"geo","field":"location"},
                    {"name":"emb","type":"vector","field":"e","dimensions":3,"metric":"cosine"},
                    {"name":"search","type":"text","fields":["title","body"]}]}
        """#

    func query(_ body: String) async throws -> JSONValue {
        let response = try await json("POST", "/v1/query/places", body)
        XCTAssertEqual(response.status, 200, response.text)
        return try response.json()
    }

    func keys(_ result: JSONValue) -> [String] {
        result["hits"]?.arrayValue?.compactMap { $0["key"]?.stringValue } ?? []
    }

    func testEveryIndexKindFollowsWritesAndSurvivesRestart() async throws {
        let created = try await json("PUT", "/v1/keyspaces/places", definitions)
        XCTAssertEqual(created.status, 201, created.text)
        let docs = [
            (
                "louvre",
                #"{"city":"Paris","age":20,"location":{"lat":48.8606,"lon":2.3376},"e":[1,0,0],"title":"quick brown fox"}"#
            ),
            (
                "eiffel",
                #"{"city":"Paris","age":40,"location":{"type":"Point","coordinates":[2.2945,48.8584]},"e":[0,1,0],"title":"lazy dog"}"#
            ),
            (
                "bigben",
                #"{"city":"London","age":25,"location":{"lat":51.5007,"lon":-0.1246},"e":[0,0,1],"title":"the brown clock"}"#
            ),
        ]
        for (key, doc) in docs {
            let status = try await put(key, doc, ks: "places").status
            XCTAssertEqual(status, 201)
        }

        let young = try await query(#"{"index":"by_city","eq":{"city":"Paris"},"range":{"age":{"gte":18,"lt":30}}}"#)
        XCTAssertEqual(keys(young), ["louvre"])
        let near = try await query(#"{"index":"where","near":{"lat":48.8584,"lon":2.2945,"radiusM":5000}}"#)
        XCTAssertEqual(keys(near), ["eiffel", "louvre"], "nearest first")
        XCTAssertEqual(near["hits"]?.arrayValue?.first?["distanceM"]?.numberValue ?? -1, 0, accuracy: 1e-6)
        let box = try await query(#"{"index":"where","within":{"minLat":51,"minLon":-1,"maxLat":52,"maxLon":0}}"#)
        XCTAssertEqual(keys(box), ["bigben"])
        let similar = try await query(#"{"index":"emb","vector":[0.1,0.9,0],"k":1}"#)
        XCTAssertEqual(keys(similar), ["eiffel"])
        let text = try await query(#"{"index":"search","text":"brown","limit":10}"#)
        XCTAssertEqual(Set(keys(text)), ["louvre", "bigben"])

        // Update and delete are reflected before the write is acknowledged.
        _ = try await put(
            "eiffel",
            #"{"city":"Paris","age":22,"location":{"lat":48.8584,"lon":2.2945},"e":[0,1,0],"title":"brown tower"}"#,
            ks: "places")
        let v2 = try await query(#"{"index":"by_city","eq":{"city":"Paris"},"range":{"age":{"lt":30}}}"#)
        XCTAssertEqual(keys(v2), ["louvre", "eiffel"])
        let v3 = try await client.send("DELETE", TesseraClient.itemPath("places", "louvre")).status
        XCTAssertEqual(v3, 204)
        let v4 = try await query(#"{"index":"search","text":"fox"}"#)
        XCTAssertEqual(keys(v4), [])
        let v5 = try await query(#"{"index":"search","text":"brown"}"#)
        XCTAssertEqual(Set(keys(v5)), ["eiffel", "bigben"])

        try await restart(crash: true)
        let v6 = try await query(#"{"index":"search","text":"brown"}"#)
        XCTAssertEqual(Set(keys(v6)), ["eiffel", "bigben"])
        let v7 = try await query(#"{"index":"emb","vector":[0,0,1],"k":1}"#)
        XCTAssertEqual(keys(v7), ["bigben"])
        let shown = try await client.send("GET", "/v1/keyspaces/places").json()
        let statuses = shown["indexes"]?.arrayValue?.compactMap { $0["status"]?.stringValue }
        XCTAssertEqual(statuses, ["ready", "ready", "ready", "ready"])
        XCTAssertEqual(shown["indexes"]?.arrayValue?.first?["items"]?.int64Value, 2)
    }

    func testAddingAnIndexBackfillsAndDroppingRemovesIt() async throws {
        _ = try await json("PUT", "/v1/keyspaces/people", "{}")
        for i in 0..<20 { _ = try await put("p\(i)", #"{"age":\#(i)}"#, ks: "people") }
        let added = try await json(
            "POST", "/v1/keyspaces/people/indexes", #"{"name":"by_age","type":"ordered","fields":["age"]}"#)
        XCTAssertEqual(added.status, 201, added.text)
        let result = try await json("POST", "/v1/query/people", #"{"index":"by_age","range":{"age":{"gte":15}}}"#)
            .json()
        XCTAssertEqual(keys(result), ["p15", "p16", "p17", "p18", "p19"])
        let duplicate = try await json(
            "POST", "/v1/keyspaces/people/indexes", #"{"name":"by_age","type":"ordered","fields":["age"]}"#)
        XCTAssertEqual(duplicate.status, 409)
        let v8 = try await client.send("DELETE", "/v1/keyspaces/people/indexes/by_age").status
        XCTAssertEqual(v8, 204)
        let v9 = try await json("POST", "/v1/query/people", #"{"index":"by_age","range":{"age":{"gte":15}}}"#).status
        XCTAssertEqual(v9, 400)
    }

    func testPartitionConfinesAQuery() async throws {
        _ = try await json("PUT", "/v1/keyspaces/places", definitions)
        // 40 items per partition with identical documents, so only the filter tells them apart; the limits
        // below are smaller than what matches, so a filter applied after the limit would return too few.
        for tag in ["eu", "us"] {
            for i in 0..<40 {
                let doc =
                    #"{"city":"X","age":\#(i),"location":{"lat":48.85,"lon":2.35},"e":[1,0,0],"title":"shared words"}"#
                _ = try await put("{\(tag)}:\(i)", doc, ks: "places")
            }
        }
        let all = try await query(#"{"index":"search","text":"shared","limit":100}"#)
        XCTAssertEqual(keys(all).count, 80)
        XCTAssertEqual(all["fanout"]?.int64Value, 64)
        let queries = [
            #"{"index":"search","text":"shared","limit":5,"partition":"eu"}"#,
            #"{"index":"by_city","eq":{"city":"X"},"limit":5,"partition":"eu"}"#,
            #"{"index":"where","near":{"lat":48.85,"lon":2.35,"radiusM":10},"limit":5,"partition":"eu"}"#,
            #"{"index":"emb","vector":[1,0,0],"k":5,"partition":"eu"}"#,
        ]
        for body in queries {
            let result = try await query(body)
            XCTAssertEqual(keys(result).count, 5, body)
            XCTAssertTrue(keys(result).allSatisfy { $0.hasPrefix("{eu}:") }, body)
            XCTAssertEqual(result["fanout"]?.int64Value, 1)
        }
        // The ordered cursor pages through the partition only.
        let first = try await query(#"{"index":"by_city","eq":{"city":"X"},"limit":30,"partition":"us"}"#)
        let cursor = try XCTUnwrap(first["next"]?.stringValue)
        let rest = try await query(
            #"{"index":"by_city","eq":{"city":"X"},"limit":30,"partition":"us","cursor":"\#(cursor)"}"#)
        XCTAssertEqual(keys(first).count + keys(rest).count, 40)
        XCTAssertTrue((keys(first) + keys(rest)).allSatisfy { $0.hasPrefix("{us}:") })
    }

    func testBadQueriesAndDocuments() async throws {
        _ = try await json("PUT", "/v1/keyspaces/places", definitions)
        let bad = [
            #"{"index":"nope","text":"x"}"#, #"{"text":"x"}"#,
            #"{"index":"search","near":{"lat":1,"lon":1,"radiusM":5}}"#,
            #"{"index":"emb","vector":[1,2],"k":3}"#, #"{"index":"emb","vector":[1,0,0],"k":100000000}"#,
            #"{"index":"where","near":{"lat":"north","lon":1,"radiusM":5}}"#, "[1]", "{",
        ]
        for body in bad {
            let response = try await json("POST", "/v1/query/places", body)
            XCTAssertEqual(response.status, 400, "\(body): \(response.text)")
        }
        let badPoint = try await put("x", #"{"location":{"lat":91,"lon":0}}"#, ks: "places")
        XCTAssertEqual(badPoint.status, 400)
        let v10 = try await get("x", ks: "places").status
        XCTAssertEqual(v10, 404, "nothing stored")
        let badVector = try await put("y", #"{"e":[1,2]}"#, ks: "places")
        XCTAssertEqual(badVector.status, 400)
        let v11 = try await json("PUT", "/v1/keyspaces/k2", #"{"indexes":[{"name":"v","type":"vector","field":"e"}]}"#)
            .status
        XCTAssertEqual(v11, 400)
        let v12 = try await json("POST", "/v1/query/missing", #"{"index":"x"}"#).status
        XCTAssertEqual(v12, 404)
        let v13 = try await client.send("GET", "/v1/health").status
        XCTAssertEqual(v13, 200)
    }
}
