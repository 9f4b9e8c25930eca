import Synchronization
import TesseraCore
import TesseraIndex
import TesseraStorage

extension JSONValue {
    /// Parses a document for the indexes, answering a 400 on bad JSON.
    static func document(_ bytes: [UInt8]) throws(TesseraError) -> JSONValue {
        try JSONParser.parse(bytes)
    }
}

/// The secondary indexes of every keyspace, fed by the storage engine under each partition's lock (so a write
/// is in its indexes before it is acknowledged) and rebuilt from storage at start.
final class IndexManager: ItemObserver {
    /// One index and whether its backfill has finished.
    struct Entry {
        var index: SecondaryIndex
        var ready: Bool
    }

    /// The indexes of one keyspace.
    final class KeyspaceIndexes: Sendable {
        let entries = Mutex<[String: Entry]>([:])
    }

    private let keyspaces = Mutex<[String: KeyspaceIndexes]>([:])

    func indexes(of keyspace: String) -> KeyspaceIndexes? {
        keyspaces.withLock { $0[keyspace] }
    }

    /// The keyspace's indexes when it has any (the write path's fast check).
    private func nonEmptyIndexes(of keyspace: String) -> KeyspaceIndexes? {
        guard let set = indexes(of: keyspace), !set.entries.withLock({ $0.isEmpty }) else { return nil }
        return set
    }

    /// Parses the stored definitions of a keyspace.
    static func definitions(_ config: KeyspaceConfig) throws(TesseraError) -> [IndexDefinition] {
        guard case .array(let list) = try JSONValue.document(Array(config.indexesJSON.utf8)) else { return [] }
        return try list.map { json throws(TesseraError) in
            do { return try IndexDefinition(json: json) } catch {
                throw .badRequest(((error as? IndexError)?.message ?? "\(error)"))
            }
        }
    }

    /// Encodes definitions for `KeyspaceConfig.indexesJSON`.
    static func encode(_ definitions: [IndexDefinition]) -> String {
        JSONValue.array(definitions.map(\.json)).serialized
    }

    /// Registers the indexes a keyspace's configuration names (new ones empty and building), dropping the
    /// others; returns the definitions that need a backfill.
    func register(_ config: KeyspaceConfig) throws(TesseraError) -> [IndexDefinition] {
        let definitions = try Self.definitions(config)
        let set = keyspaces.withLock { map in
            if let existing = map[config.name] { return existing }
            let created = KeyspaceIndexes()
            map[config.name] = created
            return created
        }
        return try set.entries.withLock { entries throws(TesseraError) -> [IndexDefinition] in
            var fresh: [IndexDefinition] = []
            let names = Set(definitions.map(\.name))
            for name in entries.keys where !names.contains(name) { entries.removeValue(forKey: name) }
            for definition in definitions where entries[definition.name]?.index.definition != definition {
                do {
                    entries[definition.name] = Entry(index: try SecondaryIndex(definition: definition), ready: false)
                } catch {
                    throw .badRequest(((error as? IndexError)?.message ?? "\(error)"))
                }
                fresh.append(definition)
            }
            return fresh
        }
    }

    /// Fills new indexes from the stored items, then marks them ready.
    func backfill(_ keyspace: String, _ definitions: [IndexDefinition], engine: StorageEngine) throws(TesseraError) {
        guard !definitions.isEmpty, let set = indexes(of: keyspace) else { return }
        let names = Set(definitions.map(\.name))
        try engine.forEachItem(keyspace: keyspace) { key, item in
            guard item.isJSON, let document = try? JSONValue.parse(item.value) else { return }
            set.entries.withLock { entries in
                for name in names {
                    // A stored document that the index refuses (written before the index existed) is left out.
                    try? entries[name]?.index.upsert(key: key, document: document)
                }
            }
        }
        set.entries.withLock { entries in
            for name in names { entries[name]?.ready = true }
        }
    }

    /// Forgets a dropped keyspace.
    func drop(_ keyspace: String) {
        _ = keyspaces.withLock { $0.removeValue(forKey: keyspace) }
    }

    func validate(keyspace: String, key: String, item: StoredItem) throws(TesseraError) {
        guard let set = nonEmptyIndexes(of: keyspace), item.isJSON else { return }
        let document = try JSONValue.document(item.value)
        try set.entries.withLock { entries throws(TesseraError) in
            for entry in entries.values {
                do { try entry.index.validate(document: document) } catch {
                    throw .badRequest(((error as? IndexError)?.message ?? "\(error)"))
                }
            }
        }
    }

    func apply(keyspace: String, key: String, item: StoredItem?) {
        guard let set = nonEmptyIndexes(of: keyspace) else { return }
        let document = item.flatMap { $0.isJSON ? try? JSONValue.parse($0.value) : nil }
        set.entries.withLock { entries in
            // Take the names first: iterating `entries.keys` while mutating an entry would keep a second
            // reference to the dictionary and copy every index on every write.
            for name in Array(entries.keys) {
                if let document {
                    do { try entries[name]!.index.upsert(key: key, document: document) } catch {
                        entries[name]!.index.remove(key: key)
                    }
                } else {
                    entries[name]!.index.remove(key: key)
                }
            }
        }
    }
}
