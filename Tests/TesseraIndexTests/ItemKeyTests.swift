import Foundation
import TesseraIndex
import XCTest

final class ItemKeyTests: XCTestCase {
    /// Keys are bytes: "é" precomposed and "e" + U+0301 are two items in every index.
    func testKeysDifferingOnlyInNormalisationAreTwoItems() throws {
        let composed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        var ordered = OrderedIndex(fields: ["n"])
        var geo = GeoIndex(field: "p")
        var text = TextIndex(fields: ["t"])
        var vector = VectorIndex(field: "v", dimensions: 2)
        for key in [composed, decomposed] {
            ordered.upsert(key: key, document: .object(["n": .number(1)]))
            try geo.upsert(key: key, document: .object(["p": .object(["lat": .number(1), "lon": .number(1)])]))
            text.upsert(key: key, document: .object(["t": .string("word")]))
            try vector.upsert(key: key, vector: [1, 1])
        }
        XCTAssertEqual([ordered.count, geo.count, text.count, vector.count], [2, 2, 2, 2])
        ordered.remove(key: decomposed)
        geo.remove(key: decomposed)
        text.remove(key: decomposed)
        vector.remove(key: decomposed)
        XCTAssertEqual(try ordered.query(OrderedQuery()).hits.map(\.key).map { Array($0.utf8) }, [Array(composed.utf8)])
        XCTAssertEqual(
            try geo.nearest(to: GeoPoint(lat: 1, lon: 1), k: 5).map { Array($0.key.utf8) }, [Array(composed.utf8)])
        XCTAssertEqual(try text.search("word").map { Array($0.key.utf8) }, [Array(composed.utf8)])
        XCTAssertEqual(try vector.search([1, 1], k: 5).map { Array($0.key.utf8) }, [Array(composed.utf8)])
    }
}
