import TesseraCore

/// The definition of one secondary index, as given in API.md's keyspace `indexes` array.
public struct IndexDefinition: Sendable, Equatable {
    /// The four kinds of secondary index.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// Composite ordered index (equality prefix plus range).
        case ordered
        /// Geospatial point index.
        case geo
        /// Approximate nearest-neighbour vector index (HNSW).
        case vector
        /// Full-text index ranked by BM25.
        case text
    }

    /// Longest accepted ordered composite.
    public static let orderedFieldsMax = 16
    /// Largest accepted vector dimension.
    public static let dimensionsMax = 4096

    /// The index name, `[A-Za-z0-9_.-]{1,128}`.
    public var name: String
    /// The kind of index.
    public var kind: Kind
    /// Indexed field paths (dotted for nested objects); exactly one for geo and vector.
    public var fields: [String]
    /// Vector dimension (vector indexes only).
    public var dimensions: Int?
    /// Vector metric (vector indexes only; default cosine).
    public var metric: VectorMetric
    /// HNSW links per node, `M` (default 16).
    public var m: Int
    /// HNSW candidate list size while building, `efConstruction` (default 200).
    public var efConstruction: Int
    /// Text analyzer options (text indexes only).
    public var analyzer: TextAnalyzer.Options

    /// Creates a definition directly; call `validate()` before use.
    public init(
        name: String, kind: Kind, fields: [String], dimensions: Int? = nil, metric: VectorMetric = .cosine,
        m: Int = 16, efConstruction: Int = 200, analyzer: TextAnalyzer.Options = .init()
    ) {
        self.name = name
        self.kind = kind
        self.fields = fields
        self.dimensions = dimensions
        self.metric = metric
        self.m = m
        self.efConstruction = efConstruction
        self.analyzer = analyzer
    }

    /// Decodes and validates the API.md shape, e.g. `{"name":"emb","type":"vector","field":"e","dimensions":3}`.
    public init(json: JSONValue) throws(IndexError) {
        guard case .object(let members) = json else { throw Self.bad("an index definition must be a JSON object") }
        let known: Set<String> = [
            "name", "type", "field", "fields", "dimensions", "metric", "M", "m", "efConstruction", "stemming",
            "stopWords",
        ]
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            throw Self.bad("unknown index definition member '\(unknown)'")
        }
        guard let name = members["name"]?.stringValue else { throw Self.bad("index 'name' must be a string") }
        guard let typeName = members["type"]?.stringValue else { throw Self.bad("index 'type' must be a string") }
        guard let kind = Kind(rawValue: typeName) else {
            throw Self.bad("unknown index type '\(typeName)' (ordered, geo, vector or text)")
        }
        var fields: [String] = []
        if let field = members["field"] {
            guard let field = field.stringValue else { throw Self.bad("'field' must be a string") }
            fields.append(field)
        }
        if let list = members["fields"] {
            guard case .array(let items) = list else { throw Self.bad("'fields' must be an array of strings") }
            for item in items {
                guard let field = item.stringValue else { throw Self.bad("'fields' must be an array of strings") }
                fields.append(field)
            }
        }
        self.init(name: name, kind: kind, fields: fields)
        dimensions = try Self.optionalInt(members["dimensions"], "dimensions")
        if let metricValue = members["metric"] {
            guard let metricName = metricValue.stringValue, let metric = VectorMetric(rawValue: metricName) else {
                throw Self.bad("'metric' must be one of cosine, l2, dot")
            }
            self.metric = metric
        }
        m = try Self.optionalInt(members["M"] ?? members["m"], "M") ?? 16
        efConstruction = try Self.optionalInt(members["efConstruction"], "efConstruction") ?? 200
        analyzer.stemming = try Self.optionalBool(members["stemming"], "stemming") ?? false
        analyzer.stopWords = try Self.optionalBool(members["stopWords"], "stopWords") ?? false
        try validate()
    }

    /// Checks the name, the field list and the parameters of the kind.
    public func validate() throws(IndexError) {
        let nameOK =
            (1...128).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x5F || byte == 0x2E || byte == 0x2D
            }
        guard nameOK else { throw Self.bad("index name must match [A-Za-z0-9_.-]{1,128}") }
        guard !fields.isEmpty else { throw Self.bad("index '\(name)' needs 'field' or 'fields'") }
        if let empty = fields.first(where: { $0.isEmpty || $0.split(separator: ".").count == 0 }) {
            throw Self.bad("field path '\(empty)' is empty")
        }
        guard Set(fields).count == fields.count else { throw Self.bad("index '\(name)' names a field twice") }
        switch kind {
        case .ordered:
            guard fields.count <= Self.orderedFieldsMax else {
                throw Self.bad("an ordered index takes at most \(Self.orderedFieldsMax) fields")
            }
        case .geo:
            guard fields.count == 1 else { throw Self.bad("a geo index takes exactly one field") }
        case .vector:
            guard fields.count == 1 else { throw Self.bad("a vector index takes exactly one field") }
            guard let dimensions, (1...Self.dimensionsMax).contains(dimensions) else {
                throw Self.bad("a vector index needs 'dimensions' between 1 and \(Self.dimensionsMax)")
            }
            guard (2...128).contains(m) else { throw Self.bad("'M' must be between 2 and 128") }
            guard (1...4096).contains(efConstruction) else {
                throw Self.bad("'efConstruction' must be between 1 and 4096")
            }
        case .text:
            guard fields.count <= 32 else { throw Self.bad("a text index takes at most 32 fields") }
        }
        if kind != .vector && dimensions != nil { throw Self.bad("'dimensions' applies to vector indexes only") }
    }

    /// The definition in API.md's JSON shape (for `GET /v1/keyspaces/{ks}`).
    public var json: JSONValue {
        var members: [String: JSONValue] = ["name": .string(name), "type": .string(kind.rawValue)]
        switch kind {
        case .ordered, .text:
            members["fields"] = .array(fields.map { .string($0) })
        case .geo, .vector:
            members["field"] = .string(fields[0])
        }
        if kind == .vector {
            members["dimensions"] = .number(Double(dimensions ?? 0))
            members["metric"] = .string(metric.rawValue)
            members["M"] = .number(Double(m))
            members["efConstruction"] = .number(Double(efConstruction))
        }
        if kind == .text {
            members["stemming"] = .bool(analyzer.stemming)
            members["stopWords"] = .bool(analyzer.stopWords)
        }
        return .object(members)
    }

    private static func bad(_ message: String) -> IndexError { IndexError(.invalidDefinition, message) }

    private static func optionalInt(_ value: JSONValue?, _ name: String) throws(IndexError) -> Int? {
        guard let value else { return nil }
        guard let int = value.intValue else { throw bad("'\(name)' must be an integer") }
        return int
    }

    private static func optionalBool(_ value: JSONValue?, _ name: String) throws(IndexError) -> Bool? {
        guard let value else { return nil }
        guard case .bool(let flag) = value else { throw bad("'\(name)' must be true or false") }
        return flag
    }
}
