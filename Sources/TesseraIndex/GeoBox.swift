import TesseraCore

/// A latitude/longitude box; `minLon > maxLon` means it crosses the antimeridian.
public struct GeoBox: Sendable, Equatable {
    /// Southern edge in degrees.
    public var minLat: Double
    /// Western edge in degrees.
    public var minLon: Double
    /// Northern edge in degrees.
    public var maxLat: Double
    /// Eastern edge in degrees (less than `minLon` when the box crosses 180°).
    public var maxLon: Double

    /// Creates a box; edges must be valid coordinates with `minLat <= maxLat`.
    public init(minLat: Double, minLon: Double, maxLat: Double, maxLon: Double) throws(IndexError) {
        for (value, limit) in [(minLat, 90.0), (maxLat, 90), (minLon, 180), (maxLon, 180)] {
            guard value.isFinite, abs(value) <= limit else {
                throw IndexError(.invalidQuery, "box edges must be valid coordinates")
            }
        }
        guard minLat <= maxLat else { throw IndexError(.invalidQuery, "'minLat' must not exceed 'maxLat'") }
        self.minLat = minLat
        self.minLon = minLon
        self.maxLat = maxLat
        self.maxLon = maxLon
    }

    /// Decodes `{"minLat", "minLon", "maxLat", "maxLon"}`.
    public init(json: JSONValue) throws(IndexError) {
        guard let minLat = json["minLat"]?.numberValue, let minLon = json["minLon"]?.numberValue,
            let maxLat = json["maxLat"]?.numberValue, let maxLon = json["maxLon"]?.numberValue
        else { throw IndexError(.invalidQuery, "'within' needs numeric minLat, minLon, maxLat, maxLon") }
        try self.init(minLat: minLat, minLon: minLon, maxLat: maxLat, maxLon: maxLon)
    }

    /// Whether the box contains the point (edges included).
    public func contains(_ point: GeoPoint) -> Bool {
        guard point.lat >= minLat, point.lat <= maxLat else { return false }
        if minLon <= maxLon { return point.lon >= minLon && point.lon <= maxLon }
        return point.lon >= minLon || point.lon <= maxLon
    }

    /// The centre: middle latitude, and the middle longitude going east from `minLon` (wrapped).
    public var center: GeoPoint {
        let width = minLon <= maxLon ? maxLon - minLon : maxLon + 360 - minLon
        var lon = minLon + width / 2
        if lon > 180 { lon -= 360 }
        // The arithmetic keeps both values inside the valid ranges, so this cannot throw.
        return (try? GeoPoint(lat: (minLat + maxLat) / 2, lon: lon)) ?? (try! GeoPoint(lat: 0, lon: 0))
    }

    /// The box as at most two boxes that do not cross the antimeridian, each as lat/lon ranges.
    var parts: [(lat: ClosedRange<Double>, lon: ClosedRange<Double>)] {
        if minLon <= maxLon { return [(minLat...maxLat, minLon...maxLon)] }
        return [(minLat...maxLat, minLon...180), (minLat...maxLat, -180...maxLon)]
    }
}
