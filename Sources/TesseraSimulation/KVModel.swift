/// The sequential specification of one key of the key-value store (histories are partitioned by key).
public struct KVModel: SequentialModel {
    /// Creates the model.
    public init() {}

    /// An absent key reads as 0.
    public var initialState: UInt64 { 0 }

    /// Applies `input` to the key's value if `output` is possible.
    public func step(_ state: UInt64, _ input: KVInput, _ output: KVOutput?) -> UInt64? {
        switch (input, output) {
        case (.get, nil):
            return state
        case (.get, .value(let value)?):
            return value == state ? state : nil
        case (.put(_, let value), nil), (.put(_, let value), .ok?):
            return value
        case (.cas(_, let expected, let new), nil):
            return state == expected ? new : state
        case (.cas(_, let expected, let new), .swapped(true)?):
            return state == expected ? new : nil
        case (.cas(_, let expected, _), .swapped(false)?):
            return state != expected ? state : nil
        default:
            return nil
        }
    }

    /// Checks a key-value history key by key; returns the first key whose history is not linearizable.
    public static func check(
        _ history: [HistoryOperation<KVInput, KVOutput>],
        stepBudget: Int = 2_000_000
    ) -> (result: LinearizabilityResult, key: UInt8?) {
        var byKey: [UInt8: [HistoryOperation<KVInput, KVOutput>]] = [:]
        for operation in history { byKey[operation.input.key, default: []].append(operation) }
        let checker = LinearizabilityChecker(model: KVModel(), stepBudget: stepBudget)
        var inconclusive = false
        for key in byKey.keys.sorted() {
            switch checker.check(byKey[key]!) {
            case .linearizable: continue
            case .notLinearizable: return (.notLinearizable, key)
            case .inconclusive: inconclusive = true
            }
        }
        return (inconclusive ? .inconclusive : .linearizable, nil)
    }
}
