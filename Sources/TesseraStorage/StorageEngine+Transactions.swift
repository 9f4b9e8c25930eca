import TesseraCore

extension StorageEngine {
    /// Runs a transaction atomically under its partition's lock, logging all its writes in one frame.
    public func transact(keyspace: String, _ txn: Transaction) async throws(TesseraError) -> TransactionResult {
        let store = try store(keyspace)
        let keys = txn.keys
        guard let first = keys.first else { throw .badRequest("a transaction needs at least one compare or operation") }
        let partition = partitioner.partition(of: first)
        for key in keys where partitioner.partition(of: key) != partition {
            throw TesseraError(
                .crossPartition,
                "keys \(first) and \(key) are in different partitions; use a shared hash tag such as {tag}:key")
        }
        let (result, lsn) = try store.partitions[partition].state.withLock {
            state throws(TesseraError) -> (TransactionResult, UInt64?) in
            try checkLive(state, keyspace)
            let now = wallClock()
            let succeeded = txn.compares.allSatisfy { evaluate($0, state.get(ItemKey($0.key), nowMs: now)) }
            var overlay: [ItemKey: StoredItem?] = [:]
            func current(_ key: String) -> StoredItem? {
                if let staged = overlay[ItemKey(key)] { return staged }
                return state.get(ItemKey(key), nowMs: now)
            }
            var mutations: [Mutation] = []
            var results: [TransactionResult.OperationResult] = []
            for operation in succeeded ? txn.success : txn.failure {
                let key = operation.key
                switch operation {
                case .get:
                    results.append(.init(key: key, item: current(key)))
                case .put(_, let value, let contentType, let ttlMs):
                    let item = StoredItem(
                        value: value, contentType: contentType, version: nextVersion(),
                        expiresAtMs: ttlMs.map { now + max(1, $0) } ?? 0)
                    overlay[ItemKey(key)] = .some(item)
                    mutations.append(.put(keyspace: keyspace, key: key, item: item))
                    results.append(.init(key: key, item: item))
                case .incr(_, let by):
                    let base = try numericValue(of: current(key), key: key)
                    let sum = base + by
                    guard sum.isFinite else { throw .badRequest("incr of \(key) overflows") }
                    let item = StoredItem(
                        value: Array(JSONValue.format(sum).utf8), contentType: ContentTypes.json,
                        version: nextVersion(), expiresAtMs: current(key)?.expiresAtMs ?? 0)
                    overlay[ItemKey(key)] = .some(item)
                    mutations.append(.put(keyspace: keyspace, key: key, item: item))
                    results.append(.init(key: key, item: item))
                case .delete:
                    if current(key) != nil {
                        let version = nextVersion()
                        overlay[ItemKey(key)] = .some(nil)
                        mutations.append(.delete(keyspace: keyspace, key: key, reason: .delete, version: version))
                        results.append(.init(key: key, item: nil, deletedVersion: version))
                    } else {
                        results.append(.init(key: key, item: nil))
                    }
                }
            }
            // A transaction that writes nothing still answers only from durable state.
            guard !mutations.isEmpty else {
                return (TransactionResult(succeeded: succeeded, results: results), state.lastLSN)
            }
            let observer = currentObserver
            for case .put(_, let key, let item) in mutations {
                try observer?.validate(keyspace: keyspace, key: key, item: item)
            }
            let lsn = try log(mutations)
            state.lastLSN = lsn
            for mutation in mutations {
                switch mutation {
                case .put(_, let key, let item):
                    state.put(ItemKey(key), item)
                    observer?.apply(keyspace: keyspace, key: key, item: item)
                case .delete(_, let key, _, let version):
                    state.markDeleted(ItemKey(key), version: version)
                    observer?.apply(keyspace: keyspace, key: key, item: nil)
                default: break
                }
            }
            return (TransactionResult(succeeded: succeeded, results: results), lsn)
        }
        if let lsn { try await awaitDurable(lsn) }
        return result
    }

    private func evaluate(_ compare: Transaction.Compare, _ item: StoredItem?) -> Bool {
        switch compare {
        case .exists(_, let expected):
            return (item != nil) == expected
        case .version(_, let expected):
            return item?.version.description == expected
        case .value(_, let comparison, let operand):
            guard let item, item.isJSON, let stored = try? JSONParser.parse(item.value) else { return false }
            return comparison.holds(stored, operand)
        }
    }

    private func numericValue(of item: StoredItem?, key: String) throws(TesseraError) -> Double {
        guard let item else { return 0 }
        guard item.isJSON, case .number(let n) = try? JSONParser.parse(item.value) else {
            throw .badRequest("incr needs \(key) to hold a JSON number")
        }
        return n
    }
}
