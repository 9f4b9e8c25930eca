import Foundation
import TesseraCore

/// A point on the Earth in degrees (WGS 84 coordinates on a spherical Earth).
public struct GeoPoint: Sendable, Equatable {
    /// The mean Earth radius used for every distance, in metres (API.md).
    public static let earthRadiusM = 6_371_008.8

    /// Latitude in degrees, -90...90.
    public var lat: Double
    /// Longitude in degrees, -180...180.
    public var lon: Double

    /// Creates a point; invalid coordinates throw `invalidDocument`.
    public init(lat: Double, lon: Double) throws(IndexError) {
        guard lat.isFinite, lon.isFinite, (-90...90).contains(lat), (-180...180).contains(lon) else {
            throw IndexError(.invalidDocument, "invalid coordinates lat \(lat), lon \(lon)")
        }
        self.lat = lat
        self.lon = lon
    }

    /// Reads `{"lat": .., "lon": ..}` or a GeoJSON `{"type": "Point", "coordinates": [lon, lat]}`.
    public init(json: JSONValue) throws(IndexError) {
        guard case .object(let members) = json else {
            throw IndexError(.invalidDocument, "a geo value must be {lat, lon} or a GeoJSON Point")
        }
        if let type = members["type"] {
            guard type == .string("Point"), case .array(let coordinates)? = members["coordinates"],
                coordinates.count == 2 || coordinates.count == 3,
                let lon = coordinates[0].numberValue, let lat = coordinates[1].numberValue
            else { throw IndexError(.invalidDocument, "a GeoJSON value must be a Point with [lon, lat]") }
            try self.init(lat: lat, lon: lon)
        } else {
            guard let lat = members["lat"]?.numberValue, let lon = members["lon"]?.numberValue else {
                throw IndexError(.invalidDocument, "a geo value needs numeric 'lat' and 'lon'")
            }
            try self.init(lat: lat, lon: lon)
        }
    }

    /// Great-circle distance in metres by the haversine formula on a sphere of `earthRadiusM`.
    public func distanceM(to other: GeoPoint) -> Double {
        let lat1 = lat * .pi / 180
        let lat2 = other.lat * .pi / 180
        let sinHalfLat = sin((other.lat - lat) * .pi / 360)
        let sinHalfLon = sin((other.lon - lon) * .pi / 360)
        let h = sinHalfLat * sinHalfLat + cos(lat1) * cos(lat2) * sinHalfLon * sinHalfLon
        return 2 * Self.earthRadiusM * asin(min(1, sqrt(h)))
    }
}
