/// A sequential specification against which concurrent histories are checked.
public protocol SequentialModel: Sendable {
    /// The model's state; hashed for Lowe's memoization.
    associatedtype State: Hashable & Sendable
    /// What an operation asks.
    associatedtype Input: Sendable
    /// What an operation answered.
    associatedtype Output: Sendable

    /// The state before any operation.
    var initialState: State { get }

    /// The state after `input` answered `output` (nil output: unknown outcome), or nil if that answer is impossible.
    func step(_ state: State, _ input: Input, _ output: Output?) -> State?
}
