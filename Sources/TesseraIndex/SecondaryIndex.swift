import TesseraCore

/// Any one secondary index, built from its definition: the server's single entry point.
///
/// Feed it every committed change of the keyspace (`upsert` for a put, `remove` for a delete or
/// an expiry) and answer `POST /v1/query/{ks}` bodies with `query(_:)`. Call `validate(document:)`
/// before committing a write, so a bad indexed value is a 400 and never reaches the log.
public struct SecondaryIndex: Sendable {
    /// The definition this index was built from.
    public let definition: IndexDefinition
    private var ordered: OrderedIndex?
    private var geo: GeoIndex?
    private var vector: VectorIndex?
    private var text: TextIndex?

    /// Creates an empty index; an invalid definition throws `invalidDefinition`.
    public init(definition: IndexDefinition) throws(IndexError) {
        try definition.validate()
        self.definition = definition
        switch definition.kind {
        case .ordered: ordered = OrderedIndex(fields: definition.fields)
        case .geo: geo = GeoIndex(field: definition.fields[0])
        case .vector:
            vector = VectorIndex(
                field: definition.fields[0], dimensions: definition.dimensions ?? 1, metric: definition.metric,
                m: definition.m, efConstruction: definition.efConstruction)
        case .text: text = TextIndex(fields: definition.fields, analyzer: TextAnalyzer(options: definition.analyzer))
        }
    }

    /// Number of indexed items.
    public var count: Int {
        ordered?.count ?? geo?.count ?? vector?.count ?? text?.count ?? 0
    }

    /// Throws `invalidDocument` if `document` holds a value this index refuses (bad lat/lon, NaN, wrong dims).
    public func validate(document: JSONValue) throws(IndexError) {
        if let geo { _ = try geo.point(of: document) }
        if let vector { _ = try vector.vector(of: document) }
    }

    /// Applies a put of `key`; throws (leaving the index unchanged) when `validate` would.
    public mutating func upsert(key: String, document: JSONValue) throws(IndexError) {
        switch definition.kind {
        case .ordered: ordered!.upsert(key: key, document: document)
        case .geo: try geo!.upsert(key: key, document: document)
        case .vector: try vector!.upsert(key: key, document: document)
        case .text: text!.upsert(key: key, document: document)
        }
    }

    /// Indexes existing items (a backfill); items this index refuses are skipped and counted, since
    /// they were accepted before the index existed.
    @discardableResult
    public mutating func backfill(_ items: some Sequence<(key: String, document: JSONValue)>) -> Int {
        var skipped = 0
        for item in items {
            do { try upsert(key: item.key, document: item.document) } catch { skipped += 1 }
        }
        return skipped
    }

    /// Applies a delete or expiry of `key`.
    public mutating func remove(key: String) {
        switch definition.kind {
        case .ordered: ordered!.remove(key: key)
        case .geo: geo!.remove(key: key)
        case .vector: vector!.remove(key: key)
        case .text: text!.remove(key: key)
        }
    }

    /// Runs an API.md query body (`{"index": .., "eq": ..}` etc.); members of other index kinds are refused.
    /// `keyFilter` keeps only the items whose keys it accepts (the server confines a query to a partition).
    public func query(_ json: JSONValue, keyFilter: ((String) -> Bool)? = nil) throws(IndexError) -> IndexQueryResult {
        guard case .object(let members) = json else { throw IndexError(.invalidQuery, "a query must be an object") }
        let allowed: Set<String>
        switch definition.kind {
        case .ordered: allowed = ["eq", "range", "cursor", "limit"]
        case .geo: allowed = ["near", "within", "nearest", "k", "limit"]
        case .vector: allowed = ["vector", "k", "ef", "exact"]
        case .text: allowed = ["text", "limit"]
        }
        for name in members.keys.sorted() where name != "index" && name != "partition" && !allowed.contains(name) {
            throw IndexError(
                .invalidQuery, "'\(name)' does not apply to \(definition.kind.rawValue) index '\(definition.name)'")
        }
        switch definition.kind {
        case .ordered:
            let result = try ordered!.query(OrderedQuery(json: json, fields: definition.fields), keyFilter: keyFilter)
            return IndexQueryResult(hits: result.hits.map { IndexHit(key: $0.key) }, next: result.next)
        case .geo:
            return IndexQueryResult(
                hits: try geoQuery(members, keyFilter).map { IndexHit(key: $0.key, distanceM: $0.distanceM) })
        case .vector:
            return IndexQueryResult(
                hits: try vectorQuery(members, keyFilter).map { IndexHit(key: $0.key, score: $0.score) })
        case .text:
            guard let query = members["text"]?.stringValue else {
                throw IndexError(.invalidQuery, "a text query needs 'text' (a string)")
            }
            let limit = try Self.int(members["limit"], "limit") ?? TextQuery.limitDefault
            let hits = text!.search(try TextQuery(query, analyzer: text!.analyzer, limit: limit), keyFilter: keyFilter)
            return IndexQueryResult(hits: hits.map { IndexHit(key: $0.key, score: $0.score) })
        }
    }

    private func geoQuery(_ members: [String: JSONValue], _ keyFilter: ((String) -> Bool)?) throws(IndexError)
        -> [GeoHit]
    {
        let shapes = ["near", "within", "nearest"].filter { members[$0] != nil }
        guard shapes.count == 1 else {
            throw IndexError(.invalidQuery, "a geo query needs exactly one of 'near', 'within', 'nearest'")
        }
        let limit = try Self.int(members["limit"], "limit")
        if let within = members["within"] {
            return try geo!.within(GeoBox(json: within), limit: limit ?? GeoIndex.limitDefault, keyFilter: keyFilter)
        }
        let shape = members["near"] ?? members["nearest"]!
        guard let lat = shape["lat"]?.numberValue, let lon = shape["lon"]?.numberValue else {
            throw IndexError(.invalidQuery, "'\(shapes[0])' needs numeric 'lat' and 'lon'")
        }
        let center: GeoPoint
        do { center = try GeoPoint(lat: lat, lon: lon) } catch { throw IndexError(.invalidQuery, error.message) }
        if members["near"] != nil, let radius = shape["radiusM"] {
            guard let radiusM = radius.numberValue else {
                throw IndexError(.invalidQuery, "'radiusM' must be a number")
            }
            return try geo!.near(center, radiusM: radiusM, limit: limit ?? GeoIndex.limitDefault, keyFilter: keyFilter)
        }
        let k = try Self.int(members["k"], "k") ?? limit ?? 10
        let maxDistanceM = shape["maxDistanceM"]?.numberValue
        return try geo!.nearest(to: center, k: k, maxDistanceM: maxDistanceM, keyFilter: keyFilter)
    }

    private func vectorQuery(_ members: [String: JSONValue], _ keyFilter: ((String) -> Bool)?) throws(IndexError)
        -> [VectorHit]
    {
        guard case .array(let items)? = members["vector"] else {
            throw IndexError(.invalidQuery, "a vector query needs 'vector' (an array of numbers)")
        }
        var query: [Float] = []
        for item in items {
            guard let number = item.numberValue else { throw IndexError(.invalidQuery, "'vector' must hold numbers") }
            query.append(Float(number))
        }
        let k = try Self.int(members["k"], "k") ?? 10
        let ef = try Self.int(members["ef"], "ef")
        var mode = VectorIndex.SearchMode.auto
        if let exact = members["exact"] {
            guard case .bool(let flag) = exact else { throw IndexError(.invalidQuery, "'exact' must be true or false") }
            mode = flag ? .exact : .approximate
        }
        return try vector!.search(query, k: k, ef: ef, mode: mode, keyFilter: keyFilter)
    }

    private static func int(_ value: JSONValue?, _ name: String) throws(IndexError) -> Int? {
        guard let value else { return nil }
        guard let int = value.intValue else { throw IndexError(.invalidQuery, "'\(name)' must be an integer") }
        return int
    }
}

/// The answer to one query: hits in the index's order and, for ordered indexes, a resume cursor.
public struct IndexQueryResult: Sendable, Equatable {
    /// Hits, in the order API.md prescribes for the index kind.
    public var hits: [IndexHit]
    /// Cursor for the next page (ordered indexes), or nil.
    public var next: String?

    /// Creates a result.
    public init(hits: [IndexHit], next: String? = nil) {
        self.hits = hits
        self.next = next
    }
}

/// One hit: the key, and the score (vector, text) or distance (geo) the API shows.
public struct IndexHit: Sendable, Equatable {
    /// The item's key; the server adds its version and value.
    public var key: String
    /// `score` of vector and text hits.
    public var score: Double?
    /// `distanceM` of geo hits.
    public var distanceM: Double?

    /// Creates a hit.
    public init(key: String, score: Double? = nil, distanceM: Double? = nil) {
        self.key = key
        self.score = score
        self.distanceM = distanceM
    }
}
