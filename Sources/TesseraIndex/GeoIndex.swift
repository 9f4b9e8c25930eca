import Foundation
import TesseraCore

/// A geospatial point index: points sorted by Z-order code, queried by radius, box and nearest-k.
///
/// A box query is covered by at most ~32 Z-order cells (two boxes when it crosses the antimeridian,
/// full longitude when a circle contains a pole), the cells' code ranges are scanned, and every
/// candidate is checked exactly, so results equal a brute-force scan.
public struct GeoIndex: Sendable {
    /// Default and largest accepted number of hits.
    public static let limitDefault = 100
    /// Largest accepted `limit` or `k`.
    public static let limitMax = 10_000

    /// The indexed field path.
    public let field: String
    private var entries = SortedChunks<GeoEntry>()
    private var pointsByKey: [ItemKey: GeoPoint] = [:]

    /// Creates an empty index of `field`.
    public init(field: String) {
        self.field = field
    }

    /// Number of indexed items.
    public var count: Int { pointsByKey.count }

    /// The point this index would hold for `document`: nil when the field is missing or null, an error when invalid.
    public func point(of document: JSONValue) throws(IndexError) -> GeoPoint? {
        guard let value = document.value(atPath: field), value != .null else { return nil }
        do {
            return try GeoPoint(json: value)
        } catch {
            throw IndexError(.invalidDocument, "field '\(field)': \(error.message)")
        }
    }

    /// Indexes the item `key`; invalid coordinates throw and leave the index unchanged.
    public mutating func upsert(key: String, document: JSONValue) throws(IndexError) {
        let point = try point(of: document)
        remove(key: key)
        guard let point else { return }
        entries.insert(GeoEntry(point: point, key: key))
        pointsByKey[ItemKey(key)] = point
    }

    /// Removes the item `key`; absent keys are ignored.
    public mutating func remove(key: String) {
        guard let old = pointsByKey.removeValue(forKey: ItemKey(key)) else { return }
        entries.remove(GeoEntry(point: old, key: key))
    }

    /// Items within `radiusM` metres of `center` (edge included), nearest first, ties by key.
    public func near(
        _ center: GeoPoint, radiusM: Double, limit: Int = limitDefault, keyFilter: ((String) -> Bool)? = nil
    ) throws(IndexError) -> [GeoHit] {
        guard radiusM.isFinite, radiusM >= 0 else { throw IndexError(.invalidQuery, "'radiusM' must be >= 0") }
        try Self.checkLimit(limit)
        var hits: [GeoHit] = []
        scan(Self.circleParts(center, radiusM: radiusM)) { key, point in
            let distance = center.distanceM(to: point)
            if distance <= radiusM, keyFilter?(key) ?? true {
                hits.append(GeoHit(key: key, point: point, distanceM: distance))
            }
        }
        return Self.nearestFirst(hits, limit: limit)
    }

    /// Items inside `box` (edges included), nearest to the box's centre first, with `distanceM` from it.
    public func within(_ box: GeoBox, limit: Int = limitDefault, keyFilter: ((String) -> Bool)? = nil)
        throws(IndexError) -> [GeoHit]
    {
        try Self.checkLimit(limit)
        let center = box.center
        var hits: [GeoHit] = []
        scan(box.parts) { key, point in
            if box.contains(point), keyFilter?(key) ?? true {
                hits.append(GeoHit(key: key, point: point, distanceM: center.distanceM(to: point)))
            }
        }
        return Self.nearestFirst(hits, limit: limit)
    }

    /// The `k` items nearest to `center` (within `maxDistanceM` if given), nearest first, ties by key.
    public func nearest(
        to center: GeoPoint, k: Int, maxDistanceM: Double? = nil, keyFilter: ((String) -> Bool)? = nil
    ) throws(IndexError) -> [GeoHit] {
        try Self.checkLimit(k)
        let halfCircumference = Double.pi * GeoPoint.earthRadiusM
        let cap = min(maxDistanceM ?? halfCircumference, halfCircumference)
        guard cap >= 0 else { throw IndexError(.invalidQuery, "'maxDistanceM' must be >= 0") }
        // Grow the radius until it holds k items: everything outside is farther than all inside.
        var radius = min(cap, max(1, GeoPoint.earthRadiusM * (4 * Double(k) / Double(max(count, 1))).squareRoot()))
        while true {
            let hits = try near(center, radiusM: radius, limit: Self.limitMax, keyFilter: keyFilter)
            if hits.count >= k || radius >= cap { return Array(hits.prefix(k)) }
            radius = min(cap, radius * 2)
        }
    }

    private static func checkLimit(_ limit: Int) throws(IndexError) {
        guard (1...limitMax).contains(limit) else {
            throw IndexError(.invalidQuery, "'limit' / 'k' must be between 1 and \(limitMax)")
        }
    }

    private static func nearestFirst(_ hits: [GeoHit], limit: Int) -> [GeoHit] {
        let sorted = hits.sorted { a, b in
            a.distanceM != b.distanceM ? a.distanceM < b.distanceM : a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
        }
        return Array(sorted.prefix(limit))
    }

    /// Boxes that contain the circle: bounded longitudes unless it reaches a pole, split at 180°.
    static func circleParts(_ center: GeoPoint, radiusM: Double) -> [(
        lat: ClosedRange<Double>, lon: ClosedRange<Double>
    )] {
        let margin = 1e-6  // degrees (~0.1 m): the exact distance check decides; the box only must not be short.
        let angle = radiusM / GeoPoint.earthRadiusM
        guard angle < .pi else { return [(-90...90, -180...180)] }
        let angleDeg = angle * 180 / .pi
        let minLat = center.lat - angleDeg - margin
        let maxLat = center.lat + angleDeg + margin
        if minLat <= -90 || maxLat >= 90 { return [(max(-90, minLat)...min(90, maxLat), -180...180)] }
        let ratio = sin(angle) / cos(center.lat * .pi / 180)
        guard ratio < 1 else { return [(minLat...maxLat, -180...180)] }
        let deltaLon = asin(ratio) * 180 / .pi + margin
        guard deltaLon < 180 else { return [(minLat...maxLat, -180...180)] }
        let west = center.lon - deltaLon
        let east = center.lon + deltaLon
        if west < -180 { return [(minLat...maxLat, -180...east), (minLat...maxLat, (west + 360)...180)] }
        if east > 180 { return [(minLat...maxLat, west...180), (minLat...maxLat, -180...(east - 360))] }
        return [(minLat...maxLat, west...east)]
    }

    private func scan(
        _ parts: [(lat: ClosedRange<Double>, lon: ClosedRange<Double>)], _ body: (String, GeoPoint) -> Void
    ) {
        for range in MortonCode.cover(parts) {
            let start = entries.partitionPoint { $0.code < range.lowerBound }
            entries.forEach(from: start) { entry in
                guard entry.code <= range.upperBound else { return false }
                body(entry.key, entry.point)
                return true
            }
        }
    }
}

/// One hit of a geo query.
public struct GeoHit: Sendable, Equatable {
    /// The item's key.
    public var key: String
    /// The indexed point.
    public var point: GeoPoint
    /// Haversine distance in metres from the query's centre.
    public var distanceM: Double
}

/// One sorted entry: the point's Z-order code, then the key.
struct GeoEntry: Comparable, Sendable {
    var code: UInt64
    var key: String
    var point: GeoPoint

    init(point: GeoPoint, key: String) {
        self.code = MortonCode.code(lat: point.lat, lon: point.lon)
        self.key = key
        self.point = point
    }

    static func == (lhs: GeoEntry, rhs: GeoEntry) -> Bool {
        lhs.code == rhs.code && lhs.key.utf8.elementsEqual(rhs.key.utf8)
    }

    static func < (lhs: GeoEntry, rhs: GeoEntry) -> Bool {
        lhs.code != rhs.code ? lhs.code < rhs.code : lhs.key.utf8.lexicographicallyPrecedes(rhs.key.utf8)
    }
}
