/// One operation of a concurrent history.
public struct HistoryOperation<Input: Sendable, Output: Sendable>: Sendable {
    /// The client that issued it (for reports).
    public var client: Int
    /// What it asked.
    public var input: Input
    /// What it answered; nil when the outcome is unknown.
    public var output: Output?
    /// When it was invoked (any monotonic clock shared by all clients).
    public var invoke: UInt64
    /// When it returned; nil when it never did (unknown outcome: it may take effect at any later time).
    public var complete: UInt64?

    /// Creates an operation.
    public init(client: Int, input: Input, output: Output?, invoke: UInt64, complete: UInt64?) {
        self.client = client
        self.input = input
        self.output = output
        self.invoke = invoke
        self.complete = complete
    }
}
