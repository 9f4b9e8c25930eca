import TesseraCore

/// An approximate nearest-neighbour index (HNSW) over one vector field, fed by change events.
///
/// A document is indexed when the field holds an array of `dimensions` finite numbers; a missing or
/// null field means "not indexed"; anything else (wrong length, NaN, a zero vector under cosine)
/// throws `invalidDocument` and leaves the index unchanged. An update adds a new node and marks the
/// old one removed; when removed nodes outnumber live ones (and are at least 1,024) the graph is
/// rebuilt from the live vectors (`compact()`).
public struct VectorIndex: Sendable {
    /// How a search runs.
    public enum SearchMode: Sendable, Equatable {
        /// Exact below `exactCountMax` live items, HNSW above.
        case auto
        /// Brute force over every live vector.
        case exact
        /// HNSW regardless of size.
        case approximate
    }

    /// Default candidate list size of a query.
    public static let efDefault = 64
    /// Largest accepted `k` and `ef`.
    public static let kMax = 10_000
    /// Up to this many live items, `.auto` searches exactly.
    public static let exactCountMax = 1_000

    /// The indexed field path.
    public let field: String
    /// The vector length.
    public var dimensions: Int { graph.dimensions }
    /// The metric.
    public var metric: VectorMetric { graph.metric }
    private var graph: HNSWGraph
    private let seed: UInt64
    private var keyOfNode: [String?] = []
    private var nodeOfKey: [ItemKey: Int32] = [:]
    private var removedCount = 0

    /// Creates an empty index; `seed` fixes the level draws, so builds are reproducible.
    public init(
        field: String, dimensions: Int, metric: VectorMetric = .cosine, m: Int = 16, efConstruction: Int = 200,
        seed: UInt64 = 0x7E55_E7A
    ) {
        precondition(dimensions >= 1 && m >= 2, "validated by IndexDefinition")
        self.field = field
        self.seed = seed
        graph = HNSWGraph(dimensions: dimensions, metric: metric, m: m, efConstruction: efConstruction, seed: seed)
    }

    /// Number of indexed items.
    public var count: Int { nodeOfKey.count }

    /// The vector this index would hold for `document` (nil when the field is missing or null).
    public func vector(of document: JSONValue) throws(IndexError) -> [Float]? {
        guard let value = document.value(atPath: field), value != .null else { return nil }
        guard case .array(let items) = value else {
            throw IndexError(.invalidDocument, "field '\(field)' must be an array of \(dimensions) numbers")
        }
        var vector: [Float] = []
        vector.reserveCapacity(items.count)
        for item in items {
            guard let number = item.numberValue else {
                throw IndexError(.invalidDocument, "field '\(field)' must be an array of \(dimensions) numbers")
            }
            vector.append(Float(number))
        }
        return try prepared(vector, .invalidDocument)
    }

    /// Indexes the item `key` from its document.
    public mutating func upsert(key: String, document: JSONValue) throws(IndexError) {
        guard let vector = try vector(of: document) else {
            remove(key: key)
            return
        }
        insertPrepared(key: key, vector)
    }

    /// Indexes the item `key` with `vector` directly.
    public mutating func upsert(key: String, vector: [Float]) throws(IndexError) {
        insertPrepared(key: key, try prepared(vector, .invalidDocument))
    }

    /// Removes the item `key`; absent keys are ignored.
    public mutating func remove(key: String) {
        guard let node = nodeOfKey.removeValue(forKey: ItemKey(key)) else { return }
        graph.markDeleted(node)
        keyOfNode[Int(node)] = nil
        removedCount += 1
        if removedCount >= 1_024 && removedCount > nodeOfKey.count { compact() }
    }

    /// The `k` nearest items, best first (ties by key), searched with a candidate list of `ef` (at least k).
    /// With `keyFilter`, the search is exact over the items the filter keeps (a filtered graph walk could miss
    /// them), so it costs one filter call per item and one distance per kept item.
    public func search(
        _ vector: [Float], k: Int, ef: Int? = nil, mode: SearchMode = .auto, keyFilter: ((String) -> Bool)? = nil
    ) throws(IndexError) -> [VectorHit] {
        guard (1...Self.kMax).contains(k) else {
            throw IndexError(.invalidQuery, "'k' must be between 1 and \(Self.kMax)")
        }
        let ef = ef ?? Self.efDefault
        guard (1...Self.kMax).contains(ef) else {
            throw IndexError(.invalidQuery, "'ef' must be between 1 and \(Self.kMax)")
        }
        let query = try prepared(vector, .invalidQuery)
        let exact = mode == .exact || (mode == .auto && count <= Self.exactCountMax)
        let found =
            keyFilter != nil || exact
            ? exactSearch(query, k: k, keyFilter: keyFilter) : graph.search(query, k: k, ef: ef)
        return found.compactMap { candidate in
            keyOfNode[Int(candidate.node)].map { VectorHit(key: $0, score: score(candidate.distance)) }
        }
    }

    /// Rebuilds the graph from the live vectors only, dropping removed nodes.
    public mutating func compact() {
        var fresh = HNSWGraph(
            dimensions: graph.dimensions, metric: graph.metric, m: graph.m, efConstruction: graph.efConstruction,
            seed: seed)
        var keys: [String?] = []
        var nodes: [ItemKey: Int32] = [:]
        for (node, key) in keyOfNode.enumerated() {
            guard let key else { continue }
            let start = node * graph.dimensions
            let added = fresh.add(Array(graph.vectors[start..<(start + graph.dimensions)]))
            keys.append(key)
            nodes[ItemKey(key)] = added
        }
        graph = fresh
        keyOfNode = keys
        nodeOfKey = nodes
        removedCount = 0
    }

    /// The API's `score` for an internal distance: cosine similarity, l2 distance, or dot product.
    private func score(_ distance: Float) -> Double {
        switch graph.metric {
        case .cosine: return Double(1 - distance)
        case .l2: return Double(max(distance, 0)).squareRoot()
        case .dot: return Double(-distance)
        }
    }

    private mutating func insertPrepared(key: String, _ vector: [Float]) {
        if let old = nodeOfKey[ItemKey(key)] {
            let start = Int(old) * graph.dimensions
            if graph.vectors[start..<(start + graph.dimensions)].elementsEqual(vector) { return }
            remove(key: key)
        }
        let node = graph.add(vector)
        precondition(Int(node) == keyOfNode.count, "graph nodes and keys stay aligned")
        keyOfNode.append(key)
        nodeOfKey[ItemKey(key)] = node
    }

    /// Checks length and finiteness; normalises for cosine.
    private func prepared(_ vector: [Float], _ code: IndexError.Code) throws(IndexError) -> [Float] {
        guard vector.count == graph.dimensions else {
            throw IndexError(code, "expected a vector of \(graph.dimensions) dimensions, got \(vector.count)")
        }
        guard vector.allSatisfy(\.isFinite) else { throw IndexError(code, "vector holds NaN or infinite values") }
        guard graph.metric == .cosine else { return vector }
        let norm = vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0, norm.isFinite else { throw IndexError(code, "a cosine vector must not be zero") }
        return vector.map { $0 / norm }
    }

    private func exactSearch(_ query: [Float], k: Int, keyFilter: ((String) -> Bool)? = nil) -> [Candidate] {
        var best = CandidateHeap<FarthestFirst>(capacity: k + 1)
        for (node, key) in keyOfNode.enumerated() {
            guard let key, keyFilter?(key) ?? true else { continue }
            let candidate = Candidate(distance: graph.distance(query, Int32(node)), node: Int32(node))
            if best.count < k || candidate.distance < best.top!.distance {
                best.push(candidate)
                if best.count > k { best.pop() }
            }
        }
        return best.items.sorted { a, b in
            a.distance != b.distance
                ? a.distance < b.distance
                : keyOfNode[Int(a.node)]!.utf8.lexicographicallyPrecedes(keyOfNode[Int(b.node)]!.utf8)
        }
    }
}

/// One hit of a vector query.
public struct VectorHit: Sendable, Equatable {
    /// The item's key.
    public var key: String
    /// Cosine similarity (cosine), Euclidean distance (l2) or dot product (dot).
    public var score: Double
}
