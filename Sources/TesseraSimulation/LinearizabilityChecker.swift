/// Decides whether a history is linearizable: Wing & Gong's search with Lowe's memoization of
/// (linearized set, state) pairs, the algorithm of Porcupine's `checkSingle`.
public struct LinearizabilityChecker<Model: SequentialModel>: Sendable {
    /// The sequential specification.
    public let model: Model
    /// Maximum search steps before answering `.inconclusive`.
    public var stepBudget: Int

    /// Creates a checker.
    public init(model: Model, stepBudget: Int = 2_000_000) {
        self.model = model
        self.stepBudget = stepBudget
    }

    private struct CacheKey: Hashable {
        var linearized: [UInt64]
        var state: Model.State
    }

    /// Checks one history (one partition, e.g. one key).
    public func check(_ history: [HistoryOperation<Model.Input, Model.Output>]) -> LinearizabilityResult {
        let count = history.count
        if count == 0 { return .linearizable }
        // Events: node 0 is the head; call of op i is node 2i+1, its return node 2i+2.
        var events: [(time: UInt64, isReturn: Bool, node: Int)] = []
        for (position, operation) in history.enumerated() {
            precondition(operation.complete.map { $0 >= operation.invoke } ?? true, "operation returns before call")
            events.append((operation.invoke, false, 2 * position + 1))
            events.append((operation.complete ?? UInt64.max, true, 2 * position + 2))
        }
        // Calls before returns at equal times (they are concurrent), then by node for determinism.
        events.sort { a, b in
            if a.time != b.time { return a.time < b.time }
            if a.isReturn != b.isReturn { return !a.isReturn }
            return a.node < b.node
        }
        let nodeCount = 2 * count + 1
        var next = [Int](repeating: -1, count: nodeCount)
        var prev = [Int](repeating: -1, count: nodeCount)
        var last = 0
        for event in events {
            next[last] = event.node
            prev[event.node] = last
            last = event.node
        }
        func isCall(_ node: Int) -> Bool { node % 2 == 1 }
        func operation(_ node: Int) -> Int { (node - 1) / 2 }

        var linearized = [UInt64](repeating: 0, count: (count + 63) / 64)
        var cache = Set<CacheKey>()
        var stack: [(node: Int, state: Model.State)] = []
        var state = model.initialState
        var entry = next[0]
        var steps = 0

        func lift(_ call: Int) {
            next[prev[call]] = next[call]
            if next[call] >= 0 { prev[next[call]] = prev[call] }
            let ret = call + 1
            next[prev[ret]] = next[ret]
            if next[ret] >= 0 { prev[next[ret]] = prev[ret] }
        }
        func unlift(_ call: Int) {
            let ret = call + 1
            next[prev[ret]] = ret
            if next[ret] >= 0 { prev[next[ret]] = ret }
            next[prev[call]] = call
            if next[call] >= 0 { prev[next[call]] = call }
        }

        while next[0] >= 0 {
            steps += 1
            if steps > stepBudget { return .inconclusive }
            if isCall(entry) {
                let op = operation(entry)
                if let newState = model.step(state, history[op].input, history[op].output) {
                    var candidate = linearized
                    candidate[op / 64] |= 1 << UInt64(op % 64)
                    if cache.insert(CacheKey(linearized: candidate, state: newState)).inserted {
                        stack.append((entry, state))
                        state = newState
                        linearized = candidate
                        lift(entry)
                        entry = next[0]
                        continue
                    }
                }
                entry = next[entry]
            } else {
                // A return with its call not yet linearized: backtrack.
                guard let top = stack.popLast() else { return .notLinearizable }
                state = top.state
                let op = operation(top.node)
                linearized[op / 64] &= ~(1 << UInt64(op % 64))
                unlift(top.node)
                entry = next[top.node]
            }
        }
        return .linearizable
    }
}
