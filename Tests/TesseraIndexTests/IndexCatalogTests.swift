import Foundation
import TesseraCore
import TesseraIndex
import XCTest

final class IndexCatalogTests: XCTestCase {
    private func definition(_ text: String) throws -> IndexDefinition {
        try IndexDefinition(json: JSONValue.parse(Data(text.utf8)))
    }

    func testFeedsEveryIndexAndRoutesQueries() throws {
        var catalog = try IndexCatalog(definitions: [
            definition(#"{"name": "by_age", "type": "ordered", "fields": ["age"]}"#),
            definition(#"{"name": "where", "type": "geo", "field": "at"}"#),
        ])
        try catalog.upsert(key: "a", document: JSONValue.parse(Data(#"{"age": 3, "at": {"lat": 1, "lon": 2}}"#.utf8)))
        try catalog.upsert(key: "b", document: JSONValue.parse(Data(#"{"age": 5}"#.utf8)))
        // A refused put changes no index.
        XCTAssertThrowsError(
            try catalog.upsert(
                key: "c", document: JSONValue.parse(Data(#"{"age": 1, "at": {"lat": 99, "lon": 0}}"#.utf8))))
        XCTAssertEqual(catalog["by_age"]?.count, 2)
        let ordered = try catalog.query(
            JSONValue.parse(Data(#"{"index": "by_age", "range": {"age": {"gte": 0}}}"#.utf8)))
        XCTAssertEqual(ordered.hits.map(\.key), ["a", "b"])
        catalog.remove(key: "a")
        XCTAssertEqual(catalog["where"]?.count, 0)
        XCTAssertThrowsError(try catalog.query(JSONValue.parse(Data(#"{"index": "nope", "text": "x"}"#.utf8)))) {
            XCTAssertEqual(($0 as? IndexError)?.code, .unknownIndex)
        }
        XCTAssertThrowsError(try catalog.query(JSONValue.parse(Data(#"{"text": "x"}"#.utf8))))
        XCTAssertThrowsError(
            try catalog.install(
                SecondaryIndex(definition: definition(#"{"name": "where", "type": "geo", "field": "x"}"#))))
    }

    func testBackfillThenInstallThenDrop() throws {
        var catalog = IndexCatalog()
        var text = try SecondaryIndex(definition: definition(#"{"name": "t", "type": "text", "fields": ["s"]}"#))
        var geo = try SecondaryIndex(definition: definition(#"{"name": "g", "type": "geo", "field": "p"}"#))
        let items: [(key: String, document: JSONValue)] = [
            ("1", .object(["s": .string("hello world"), "p": .object(["lat": .number(1), "lon": .number(1)])])),
            ("2", .object(["s": .string("hello"), "p": .string("not a point")])),
        ]
        XCTAssertEqual(text.backfill(items), 0)
        XCTAssertEqual(geo.backfill(items), 1)
        try catalog.install(text)
        try catalog.install(geo)
        XCTAssertEqual(catalog.definitions.map(\.name), ["g", "t"])
        let hits = try catalog.query(JSONValue.parse(Data(#"{"index": "t", "text": "hello"}"#.utf8))).hits
        XCTAssertEqual(Set(hits.map(\.key)), ["1", "2"])
        XCTAssertTrue(catalog.drop("t"))
        XCTAssertFalse(catalog.drop("t"))
        XCTAssertEqual(catalog.definitions.map(\.name), ["g"])
    }
}
