import TesseraCore

/// An atomic compare-then-apply on keys of one partition (etcd's Txn, API.md's `POST /v1/txn`).
public struct Transaction: Sendable {
    /// A value comparison.
    public enum Comparison: String, Sendable, CaseIterable {
        case eq, ne, gt, gte, lt, lte
    }

    /// One compare.
    public enum Compare: Sendable {
        case value(key: String, Comparison, JSONValue)
        case exists(key: String, Bool)
        case version(key: String, String)

        var key: String {
            switch self {
            case .value(let key, _, _), .exists(let key, _), .version(let key, _): key
            }
        }
    }

    /// One operation.
    public enum Operation: Sendable {
        case put(key: String, value: [UInt8], contentType: String, ttlMs: Int64?)
        case incr(key: String, by: Double)
        case delete(key: String)
        case get(key: String)

        var key: String {
            switch self {
            case .put(let key, _, _, _), .incr(let key, _), .delete(let key), .get(let key): key
            }
        }
    }

    /// The compares, all of which must hold for `success` to run.
    public var compares: [Compare]
    /// Run when every compare holds.
    public var success: [Operation]
    /// Run otherwise.
    public var failure: [Operation]

    /// Creates a transaction.
    public init(compares: [Compare], success: [Operation], failure: [Operation]) {
        self.compares = compares
        self.success = success
        self.failure = failure
    }

    /// Every key it touches.
    public var keys: [String] { compares.map(\.key) + success.map(\.key) + failure.map(\.key) }
}

/// The outcome of a transaction.
public struct TransactionResult: Sendable {
    /// What one operation saw or did.
    public struct OperationResult: Sendable {
        /// The key.
        public var key: String
        /// The item after a put or incr, or the item read by a get; nil when absent or deleted.
        public var item: StoredItem?
        /// The version of a deletion.
        public var deletedVersion: Version?
    }

    /// Whether every compare held.
    public var succeeded: Bool
    /// One result per operation run.
    public var results: [OperationResult]
}

extension Transaction.Comparison {
    /// Whether `stored` compares as asked to `operand`; values of different kinds only compare `ne`.
    func holds(_ stored: JSONValue, _ operand: JSONValue) -> Bool {
        switch self {
        case .eq: return stored == operand
        case .ne: return stored != operand
        default: break
        }
        let order: Int
        switch (stored, operand) {
        case (.number(let a), .number(let b)): order = a < b ? -1 : (a > b ? 1 : 0)
        case (.string(let a), .string(let b)):
            order = a.utf8.elementsEqual(b.utf8) ? 0 : (a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1)
        default: return false
        }
        switch self {
        case .gt: return order > 0
        case .gte: return order >= 0
        case .lt: return order < 0
        case .lte: return order <= 0
        case .eq, .ne: return false
        }
    }
}
