import TesseraCore

/// One stored value with its metadata.
public struct StoredItem: Sendable, Equatable {
    /// The value's bytes, exactly as written.
    public var value: [UInt8]
    /// The `Content-Type` it was written with.
    public var contentType: String
    /// Its version.
    public var version: Version
    /// When it expires (Unix ms), or 0 for never.
    public var expiresAtMs: Int64

    /// Creates an item.
    public init(value: [UInt8], contentType: String, version: Version, expiresAtMs: Int64 = 0) {
        self.value = value
        self.contentType = contentType
        self.version = version
        self.expiresAtMs = expiresAtMs
    }

    /// Whether the item has expired at `nowMs`.
    @inline(__always)
    public func isExpired(nowMs: Int64) -> Bool { expiresAtMs != 0 && expiresAtMs <= nowMs }

    /// Whether the value is a JSON document.
    public var isJSON: Bool { ContentTypes.isJSON(contentType) }
}

/// Content-type helpers.
public enum ContentTypes {
    /// The type of a value written without one.
    public static let octetStream = "application/octet-stream"
    /// JSON.
    public static let json = "application/json"

    /// Whether `contentType` names JSON (`application/json`, with or without parameters, or `+json`).
    public static func isJSON(_ contentType: String) -> Bool {
        // Fast paths for the common cases; the hot write path asks this for every request.
        if contentType == json || contentType == octetStream { return contentType == json }
        guard contentType.utf8.count >= 4 else { return false }
        let base =
            contentType.split(separator: ";", maxSplits: 1).first.map {
                $0.trimmingSpaces().lowercased()
            } ?? ""
        return base == json || base.hasSuffix("+json")
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return s
    }
}
