import Foundation
import TesseraClient
import XCTest

final class TransactionHTTPTests: NodeTestCase {
    func testStockOf100WithConcurrentBuyers() async throws {
        _ = try await put("{shop}:stock", "100")
        let body =
            #"{"compare":[{"key":"{shop}:stock","value":{"gte":1}}],"success":[{"op":"incr","key":"{shop}:stock","by":-1}],"failure":[{"op":"get","key":"{shop}:stock"}]}"#
        let http = client!
        let successes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    let response = try await http.sendJSON("POST", "/v1/txn/default", body)
                    XCTAssertEqual(response.status, 200)
                    return try response.json()["succeeded"]?.boolValue ?? false
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        XCTAssertEqual(successes, 100)
        let v72 = try await get("{shop}:stock").text
        XCTAssertEqual(v72, "0")
    }

    func testFiftyConcurrentCreatesOfOneSeatHaveOneWinner() async throws {
        let http = client!
        let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<50 {
                group.addTask {
                    let body =
                        #"{"compare":[{"key":"{show}:seat-12","exists":false}],"success":[{"op":"put","key":"{show}:seat-12","value":{"by":"user\#(i)"}}]}"#
                    return try await http.sendJSON("POST", "/v1/txn/default", body).json()["succeeded"]?.boolValue
                        ?? false
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        XCTAssertEqual(winners, 1)
        let plain = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    try await http.send(
                        "PUT", TesseraClient.itemPath("default", "seat-13"), headers: [("If-None-Match", "*")],
                        body: Array("{}".utf8)
                    ).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        XCTAssertEqual(plain.filter { $0 == 201 }.count, 1)
        XCTAssertEqual(plain.filter { $0 == 412 }.count, 49)
    }

    func testCompareKindsAndResults() async throws {
        _ = try await put("{c}:cart", #"{"n":1}"#)
        let version = try await get("{c}:cart").headers["etag"]!.replacingOccurrences(of: "\"", with: "")
        let body =
            #"{"compare":[{"key":"{c}:cart","version":"\#(version)"},{"key":"{c}:x","exists":false}],"success":[{"op":"put","key":"{c}:x","value":[1,2],"ttl":60},{"op":"delete","key":"{c}:cart"},{"op":"get","key":"{c}:x"}]}"#
        let result = try await json("POST", "/v1/txn/default", body).json()
        XCTAssertEqual(result["succeeded"], .bool(true))
        XCTAssertEqual(result["results"]?.arrayValue?.count, 3)
        XCTAssertEqual(result["results"]?.arrayValue?[2]["value"], .array([.number(1), .number(2)]))
        let v73 = try await get("{c}:cart").status
        XCTAssertEqual(v73, 404)
        let cross = try await json(
            "POST", "/v1/txn/default",
            #"{"success":[{"op":"get","key":"a"},{"op":"get","key":"user:1"},{"op":"get","key":"b"},{"op":"get","key":"c"}]}"#
        )
        XCTAssertEqual(cross.status, 400)
        XCTAssertEqual(cross.errorCode, "cross_partition")
    }
}
