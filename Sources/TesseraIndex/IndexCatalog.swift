import TesseraCore

/// The secondary indexes of one keyspace (or of one partition of it), fed and queried together.
///
/// The server keeps one catalog per keyspace partition, calls `validate(document:)` before it
/// commits a put, applies every committed change with `upsert` / `remove`, and answers
/// `POST /v1/query/{ks}` with `query(_:)`. A new index can be built outside the catalog (a value:
/// `SecondaryIndex(definition:)` plus `backfill(_:)`), caught up with the changes committed
/// meanwhile, and then `install`ed, so the catalog never waits on a long backfill.
public struct IndexCatalog: Sendable {
    /// Most indexes on one keyspace.
    public static let indexesMax = 32

    private var indexes: [String: SecondaryIndex] = [:]

    /// Creates an empty catalog.
    public init() {}

    /// Creates empty indexes for `definitions` (from keyspace creation); duplicate names throw.
    public init(definitions: [IndexDefinition]) throws(IndexError) {
        for definition in definitions { try install(SecondaryIndex(definition: definition), replacing: false) }
    }

    /// The definitions, sorted by name.
    public var definitions: [IndexDefinition] { indexes.keys.sorted().map { indexes[$0]!.definition } }

    /// The index called `name`, if any (for its `count`).
    public subscript(name: String) -> SecondaryIndex? { indexes[name] }

    /// Adds `index`, or replaces the index of the same name when `replacing` is true.
    public mutating func install(_ index: SecondaryIndex, replacing: Bool = false) throws(IndexError) {
        let name = index.definition.name
        if indexes[name] != nil && !replacing {
            throw IndexError(.invalidDefinition, "an index named '\(name)' already exists")
        }
        if indexes[name] == nil && indexes.count >= Self.indexesMax {
            throw IndexError(.invalidDefinition, "a keyspace has at most \(Self.indexesMax) indexes")
        }
        indexes[name] = index
    }

    /// Drops the index `name`; false when there is none.
    @discardableResult
    public mutating func drop(_ name: String) -> Bool { indexes.removeValue(forKey: name) != nil }

    /// Throws the first refusal of any index for `document` (call before committing a put).
    public func validate(document: JSONValue) throws(IndexError) {
        for name in indexes.keys.sorted() { try indexes[name]!.validate(document: document) }
    }

    /// Applies a committed put to every index; if any index refuses, none is changed.
    public mutating func upsert(key: String, document: JSONValue) throws(IndexError) {
        try validate(document: document)
        // Iterate a copy of the names: iterating `indexes.keys` would share the dictionary's storage
        // and make every index copy its buffers on write.
        for name in Array(indexes.keys) { try indexes[name]!.upsert(key: key, document: document) }
    }

    /// Applies a committed delete or expiry to every index.
    public mutating func remove(key: String) {
        for name in Array(indexes.keys) { indexes[name]!.remove(key: key) }
    }

    /// Runs a query body, routed by its `"index"` member.
    public func query(_ json: JSONValue) throws(IndexError) -> IndexQueryResult {
        guard let name = json["index"]?.stringValue else {
            throw IndexError(.invalidQuery, "a query needs 'index' (the index name)")
        }
        guard let index = indexes[name] else { throw IndexError(.unknownIndex, "no index named '\(name)'") }
        return try index.query(json)
    }
}
