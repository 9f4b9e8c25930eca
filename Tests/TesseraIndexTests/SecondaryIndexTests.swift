import Foundation
import TesseraCore
import TesseraIndex
import XCTest

final class SecondaryIndexTests: XCTestCase {
    private func json(_ text: String) throws -> JSONValue { try JSONValue.parse(Data(text.utf8)) }

    private func index(_ definition: String) throws -> SecondaryIndex {
        try SecondaryIndex(definition: IndexDefinition(json: json(definition)))
    }

    private func assertRefused(
        _ index: SecondaryIndex, _ query: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try index.query(json(query)), file: file, line: line) { error in
            XCTAssertEqual((error as? IndexError)?.code, .invalidQuery, "\(error)", file: file, line: line)
        }
    }

    func testOrderedQueriesThroughJSON() throws {
        var byCity = try index(#"{"name": "by_city", "type": "ordered", "fields": ["city", "age"]}"#)
        for (key, city, age) in [("a", "Paris", 20), ("b", "Paris", 40), ("c", "Rome", 25), ("d", "Paris", 29)] {
            try byCity.upsert(key: key, document: json(#"{"city": "\#(city)", "age": \#(age)}"#))
        }
        let query =
            #"{"index": "by_city", "eq": {"city": "Paris"}, "range": {"age": {"gte": 18, "lt": 30}}, "limit": 1}"#
        let first = try byCity.query(json(query))
        XCTAssertEqual(first.hits, [IndexHit(key: "a")])
        let cursor = try XCTUnwrap(first.next)
        let resumed = query.replacingOccurrences(of: #""limit": 1"#, with: #""limit": 1, "cursor": "\#(cursor)""#)
        XCTAssertEqual(try byCity.query(json(resumed)), IndexQueryResult(hits: [IndexHit(key: "d")]))
        assertRefused(byCity, #"{"eq": {"age": 20}}"#)
        assertRefused(byCity, #"{"range": {"age": {"gte": 1}}}"#)
        assertRefused(byCity, #"{"range": {"city": {"between": 1}}}"#)
        assertRefused(byCity, #"{"eq": {"city": "Paris"}, "range": {"age": {"gt": 1, "gte": 2}}}"#)
        assertRefused(byCity, #"{"eq": {"city": ["Paris"]}}"#)
        assertRefused(byCity, #"{"near": {"lat": 1, "lon": 2, "radiusM": 3}}"#)
        assertRefused(byCity, #"{"limit": 0}"#)
        assertRefused(byCity, #"{"limit": 100000000}"#)
    }

    func testGeoQueriesThroughJSON() throws {
        var places = try index(#"{"name": "where", "type": "geo", "field": "location"}"#)
        try places.upsert(key: "notre-dame", document: json(#"{"location": {"lat": 48.853, "lon": 2.3499}}"#))
        try places.upsert(
            key: "louvre", document: json(#"{"location": {"type": "Point", "coordinates": [2.3376, 48.8606]}}"#))
        try places.upsert(key: "rome", document: json(#"{"location": {"lat": 41.9, "lon": 12.5}}"#))
        XCTAssertThrowsError(try places.validate(document: json(#"{"location": {"lat": 123, "lon": 0}}"#)))
        XCTAssertThrowsError(try places.upsert(key: "x", document: json(#"{"location": {"lat": 0, "lon": 181}}"#)))
        let near = try places.query(json(#"{"index": "where", "near": {"lat": 48.85, "lon": 2.35, "radiusM": 1500}}"#))
        XCTAssertEqual(near.hits.map(\.key), ["notre-dame", "louvre"])
        XCTAssertLessThan(near.hits[0].distanceM!, near.hits[1].distanceM!)
        let within = try places.query(
            json(#"{"index": "where", "within": {"minLat": 48.8, "minLon": 2.2, "maxLat": 48.9, "maxLon": 2.4}}"#))
        XCTAssertEqual(Set(within.hits.map(\.key)), ["notre-dame", "louvre"])
        let nearest = try places.query(json(#"{"nearest": {"lat": 45, "lon": 10}, "k": 1}"#))
        XCTAssertEqual(nearest.hits.map(\.key), ["rome"])
        assertRefused(places, #"{"near": {"lat": 91, "lon": 0, "radiusM": 1}}"#)
        assertRefused(places, #"{"near": {"lat": 1, "lon": 0, "radiusM": "far"}}"#)
        assertRefused(places, #"{"near": {"lat": 1, "lon": 0, "radiusM": 5}, "within": {}}"#)
        assertRefused(places, #"{"within": {"minLat": 1}}"#)
        assertRefused(places, #"{"nearest": {"lat": 1, "lon": 0}, "k": 1000000}"#)
        assertRefused(places, #"{"vector": [1, 2]}"#)
    }

    func testVectorQueriesThroughJSON() throws {
        var embeddings = try index(#"{"name": "emb", "type": "vector", "field": "e", "dimensions": 3, "metric": "l2"}"#)
        try embeddings.upsert(key: "a", document: json(#"{"e": [1, 0, 0]}"#))
        try embeddings.upsert(key: "b", document: json(#"{"e": [0, 1, 0]}"#))
        XCTAssertThrowsError(try embeddings.upsert(key: "c", document: json(#"{"e": [0, 1]}"#)))
        XCTAssertThrowsError(
            try embeddings.upsert(key: "c", document: .object(["e": .array([.number(.nan), .number(0), .number(0)])])))
        let hits = try embeddings.query(json(#"{"index": "emb", "vector": [0.9, 0, 0], "k": 1, "ef": 64}"#)).hits
        XCTAssertEqual(hits.map(\.key), ["a"])
        XCTAssertEqual(hits[0].score!, 0.1, accuracy: 1e-6)
        XCTAssertEqual(
            try embeddings.query(json(#"{"vector": [0, 1, 0], "exact": true}"#)).hits.map(\.key), ["b", "a"])
        assertRefused(embeddings, #"{"vector": [1, 2]}"#)
        assertRefused(embeddings, #"{"vector": [1, 2, "x"]}"#)
        assertRefused(embeddings, #"{"vector": [1, 2, 3], "k": 100000000}"#)
        assertRefused(embeddings, #"{"vector": [1, 2, 3], "k": 2.5}"#)
        assertRefused(embeddings, #"{"text": "hello"}"#)
        assertRefused(embeddings, #"{"k": 3}"#)
    }

    func testTextQueriesThroughJSON() throws {
        var search = try index(#"{"name": "search", "type": "text", "fields": ["title", "body"], "stemming": true}"#)
        try search.upsert(key: "1", document: json(#"{"title": "Quick brown foxes", "body": "jump"}"#))
        try search.upsert(key: "2", document: json(#"{"title": "Lazy dogs", "body": "sleep all day"}"#))
        XCTAssertEqual(
            try search.query(json(#"{"index": "search", "text": "fox", "limit": 10}"#)).hits.map(\.key), ["1"])
        search.remove(key: "1")
        XCTAssertEqual(try search.query(json(#"{"text": "fox"}"#)).hits, [])
        XCTAssertEqual(search.count, 1)
        assertRefused(search, #"{"text": 5}"#)
        assertRefused(search, #"{"text": "a", "limit": -1}"#)
        assertRefused(search, #"{"eq": {"title": "x"}}"#)
        assertRefused(search, "[1]")
    }
}
