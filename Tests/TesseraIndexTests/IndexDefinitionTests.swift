import Foundation
import TesseraCore
import TesseraIndex
import XCTest

final class IndexDefinitionTests: XCTestCase {
    private func definition(_ text: String) throws -> IndexDefinition {
        try IndexDefinition(json: JSONValue.parse(Data(text.utf8)))
    }

    private func assertRefused(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try definition(text), file: file, line: line) { error in
            XCTAssertEqual((error as? IndexError)?.code, .invalidDefinition, file: file, line: line)
        }
    }

    func testDecodesTheAPIExamples() throws {
        let ordered = try definition(#"{"name": "by_city", "type": "ordered", "fields": ["city", "age"]}"#)
        XCTAssertEqual(ordered.kind, .ordered)
        XCTAssertEqual(ordered.fields, ["city", "age"])
        let geo = try definition(#"{"name": "where", "type": "geo", "field": "location"}"#)
        XCTAssertEqual(geo.fields, ["location"])
        let vector = try definition(
            #"{"name": "emb", "type": "vector", "field": "embedding", "dimensions": 384, "metric": "cosine"}"#)
        XCTAssertEqual(vector.dimensions, 384)
        XCTAssertEqual(vector.metric, .cosine)
        XCTAssertEqual(vector.m, 16)
        XCTAssertEqual(vector.efConstruction, 200)
        let text = try definition(#"{"name": "search", "type": "text", "fields": ["title", "body"]}"#)
        XCTAssertEqual(text.analyzer, TextAnalyzer.Options(stopWords: false, stemming: false))
        let tuned = try definition(
            #"{"name":"e","type":"vector","field":"v","dimensions":8,"metric":"l2","M":8,"efConstruction":50}"#)
        XCTAssertEqual(tuned.m, 8)
        XCTAssertEqual(tuned.efConstruction, 50)
        XCTAssertEqual(try IndexDefinition(json: tuned.json), tuned)
    }

    func testRefusesBadDefinitions() {
        assertRefused(#"{"name": "x", "type": "spatial", "field": "a"}"#)
        assertRefused(#"{"name": "x", "type": "ordered"}"#)
        assertRefused(#"{"name": "x", "type": "ordered", "fields": []}"#)
        assertRefused(#"{"name": "x", "type": "ordered", "fields": [1]}"#)
        assertRefused(#"{"name": "x y", "type": "ordered", "fields": ["a"]}"#)
        assertRefused(#"{"type": "ordered", "fields": ["a"]}"#)
        assertRefused(#"{"name": "x", "type": "geo", "fields": ["a", "b"]}"#)
        assertRefused(#"{"name": "x", "type": "vector", "field": "v"}"#)
        assertRefused(#"{"name": "x", "type": "vector", "field": "v", "dimensions": 0}"#)
        assertRefused(#"{"name": "x", "type": "vector", "field": "v", "dimensions": 1.5}"#)
        assertRefused(#"{"name": "x", "type": "vector", "field": "v", "dimensions": 3, "metric": "hamming"}"#)
        assertRefused(#"{"name": "x", "type": "vector", "field": "v", "dimensions": 3, "M": 1}"#)
        assertRefused(#"{"name": "x", "type": "text", "fields": ["a"], "stemming": "yes"}"#)
        assertRefused(#"{"name": "x", "type": "text", "fields": ["a"], "colour": "red"}"#)
        assertRefused(#"{"name": "x", "type": "ordered", "fields": ["a", "a"]}"#)
        assertRefused(#"["not", "an", "object"]"#)
    }
}
