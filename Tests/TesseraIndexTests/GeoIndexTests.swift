import Foundation
import TesseraCore
import TesseraIndex
import XCTest

final class GeoIndexTests: XCTestCase {
    /// The reference: haversine written independently, in the atan2 form.
    private static func referenceDistanceM(_ lat1: Double, _ lon1: Double, _ lat2: Double, _ lon2: Double) -> Double {
        let radians = Double.pi / 180
        let dLat = (lat2 - lat1) * radians
        let dLon = (lon2 - lon1) * radians
        let a = pow(sin(dLat / 2), 2) + cos(lat1 * radians) * cos(lat2 * radians) * pow(sin(dLon / 2), 2)
        return 6_371_008.8 * 2 * atan2(a.squareRoot(), (1 - a).squareRoot())
    }

    private static func document(_ lat: Double, _ lon: Double, geoJSON: Bool) -> JSONValue {
        if geoJSON {
            return .object([
                "loc": .object(["type": .string("Point"), "coordinates": .array([.number(lon), .number(lat)])])
            ])
        }
        return .object(["loc": .object(["lat": .number(lat), "lon": .number(lon)])])
    }

    private static func randomPoint(_ random: inout TestRandom) -> (lat: Double, lon: Double) {
        switch random.int(0...5) {
        case 0: return (90 - random.unit() * 2, random.unit() * 360 - 180)  // near the north pole
        case 1: return (-90 + random.unit() * 2, random.unit() * 360 - 180)  // near the south pole
        case 2:
            return (
                random.unit() * 20 - 10, random.int(0...1) == 0 ? 180 - random.unit() * 2 : -180 + random.unit() * 2
            )
        case 3: return (48.85 + random.gaussian() * 0.05, 2.35 + random.gaussian() * 0.05)  // a dense city
        case 4: return ([90, -90, 0][random.int(0...2)], [180, -180, 0][random.int(0...2)])  // exact edges
        default: return (random.unit() * 180 - 90, random.unit() * 360 - 180)
        }
    }

    func testParsesBothShapesAndRefusesInvalidCoordinates() throws {
        var index = GeoIndex(field: "loc")
        try index.upsert(key: "a", document: Self.document(48.85, 2.35, geoJSON: false))
        try index.upsert(key: "b", document: Self.document(48.86, 2.36, geoJSON: true))
        try index.upsert(key: "none", document: .object(["other": .number(1)]))
        XCTAssertEqual(index.count, 2)
        let bad: [JSONValue] = [
            Self.document(91, 0, geoJSON: false), Self.document(0, 180.5, geoJSON: false),
            Self.document(.nan, 0, geoJSON: false), Self.document(0, -.infinity, geoJSON: true),
            .object(["loc": .string("here")]), .object(["loc": .object(["lat": .number(1)])]),
            .object(["loc": .object(["type": .string("LineString"), "coordinates": .array([])])]),
            .object(["loc": .object(["type": .string("Point"), "coordinates": .array([.number(1)])])]),
        ]
        for document in bad {
            XCTAssertThrowsError(try index.upsert(key: "a", document: document)) { error in
                XCTAssertEqual((error as? IndexError)?.code, .invalidDocument)
            }
        }
        // A refused write leaves the old point in place.
        XCTAssertEqual(try index.near(GeoPoint(lat: 48.85, lon: 2.35), radiusM: 1).map(\.key), ["a"])
        XCTAssertThrowsError(try index.near(GeoPoint(lat: 0, lon: 0), radiusM: -1))
        XCTAssertThrowsError(try index.near(GeoPoint(lat: 0, lon: 0), radiusM: 10, limit: 0))
        XCTAssertThrowsError(try index.nearest(to: GeoPoint(lat: 0, lon: 0), k: 1_000_000))
        XCTAssertThrowsError(try GeoBox(minLat: 10, minLon: 0, maxLat: 5, maxLon: 1))
    }

    func testAntimeridianAndPoles() throws {
        var index = GeoIndex(field: "loc")
        try index.upsert(key: "east", document: Self.document(0, 179.99, geoJSON: false))
        try index.upsert(key: "west", document: Self.document(0, -179.99, geoJSON: false))
        try index.upsert(key: "pole-a", document: Self.document(89.999, 0, geoJSON: false))
        try index.upsert(key: "pole-b", document: Self.document(89.999, 180, geoJSON: false))
        let across = try index.near(GeoPoint(lat: 0, lon: 180), radiusM: 5_000)
        XCTAssertEqual(Set(across.map(\.key)), ["east", "west"])
        let box = try index.within(GeoBox(minLat: -1, minLon: 179, maxLat: 1, maxLon: -179))
        XCTAssertEqual(Set(box.map(\.key)), ["east", "west"])
        let pole = try index.near(GeoPoint(lat: 90, lon: -90), radiusM: 200)
        XCTAssertEqual(Set(pole.map(\.key)), ["pole-a", "pole-b"])
        XCTAssertEqual(try index.nearest(to: GeoPoint(lat: 0, lon: -179.999), k: 1).map(\.key), ["west"])
        XCTAssertEqual(
            try index.nearest(to: GeoPoint(lat: 0, lon: -179.999), k: 3, maxDistanceM: 3_000).map(\.key),
            ["west", "east"])
        XCTAssertEqual(try index.nearest(to: GeoPoint(lat: 0, lon: 0), k: 3, maxDistanceM: 1_000), [])
    }

    func testMatchesBruteForce() throws {
        var random = TestRandom(seed: 42)
        var index = GeoIndex(field: "loc")
        var points: [String: (lat: Double, lon: Double)] = [:]
        for step in 0..<6_000 {
            let key = "p\(random.int(0...3_000))"
            if step % 7 == 3 {
                index.remove(key: key)
                points[key] = nil
            } else {
                let point = Self.randomPoint(&random)
                try index.upsert(key: key, document: Self.document(point.lat, point.lon, geoJSON: step % 2 == 0))
                points[key] = point
            }
        }
        XCTAssertEqual(index.count, points.count)
        func expect(_ center: (lat: Double, lon: Double), _ keep: (String, Double) -> Bool) -> [(String, Double)] {
            points.map { key, point in
                (key, Self.referenceDistanceM(center.lat, center.lon, point.lat, point.lon))
            }.filter { keep($0.0, $0.1) }.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : keyPrecedes($0.0, $1.0) }
        }
        func check(_ got: [GeoHit], _ expected: [(String, Double)], _ what: String) {
            XCTAssertEqual(got.count, expected.count, what)
            // Order may differ only between hits whose distances tie within the tolerance.
            XCTAssertEqual(Set(got.map(\.key)), Set(expected.map(\.0)), what)
            let reference = Dictionary(uniqueKeysWithValues: expected)
            for (position, hit) in got.enumerated() {
                XCTAssertEqual(hit.distanceM, reference[hit.key] ?? -1, accuracy: 1e-6, what)
                XCTAssertEqual(hit.distanceM, expected[position].1, accuracy: 1e-6, what)
            }
        }
        for query in 0..<300 {
            let center = Self.randomPoint(&random)
            let centerPoint = try GeoPoint(lat: center.lat, lon: center.lon)
            let radiusM = pow(10, 1 + random.unit() * 6.4)  // 10 m to ~25,000 km
            let near = try index.near(centerPoint, radiusM: radiusM, limit: GeoIndex.limitMax)
            // Points exactly on the radius are compared with the index's own distance, the API's definition.
            let expectedNear = expect(center) { key, _ in
                let point = points[key]!
                return centerPoint.distanceM(to: try! GeoPoint(lat: point.lat, lon: point.lon)) <= radiusM
            }
            check(near, expectedNear, "near #\(query) \(center) r \(radiusM)")
            let k = random.int(1...30)
            let expectedNearest = Array(expect(center) { _, _ in true }.prefix(k))
            check(try index.nearest(to: centerPoint, k: k), expectedNearest, "nearest #\(query)")
            let height = random.unit() * 40
            let minLat = max(-90, center.lat - height / 2)
            let maxLat = min(90, center.lat + height / 2)
            let minLon = random.unit() * 360 - 180
            let maxLon = random.unit() * 360 - 180  // about half of the boxes cross the antimeridian
            let box = try GeoBox(minLat: minLat, minLon: minLon, maxLat: maxLat, maxLon: maxLon)
            let centre = box.center
            let expectedBox = expect((centre.lat, centre.lon)) { key, _ in
                let point = points[key]!
                guard point.lat >= minLat && point.lat <= maxLat else { return false }
                return minLon <= maxLon
                    ? point.lon >= minLon && point.lon <= maxLon : point.lon >= minLon || point.lon <= maxLon
            }
            check(try index.within(box, limit: GeoIndex.limitMax), expectedBox, "within #\(query)")
        }
    }
}
