/// Why a simulation run failed.
public struct SimulationFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which property broke.
    public enum Kind: String, Sendable, Hashable {
        /// Two leaders in one term (§5.2, Figure 3).
        case electionSafety
        /// Two logs agree on an entry's index and term but differ before it (Figure 3).
        case logMatching
        /// A leader lacks an entry committed in an earlier term (Figure 3).
        case leaderCompleteness
        /// Two servers applied different entries at one index (Figure 3).
        case stateMachineSafety
        /// A commit index moved backwards.
        case commitRegressed
        /// The clients' history has no linearization.
        case linearizability
        /// After the faults healed, no leader emerged or an operation did not complete in time.
        case liveness
    }

    /// Which property broke.
    public var kind: Kind
    /// What was observed.
    public var message: String
    /// Virtual time of detection, in milliseconds.
    public var timeMs: UInt64
    /// Number of events processed before detection.
    public var step: Int

    /// Creates a failure.
    public init(_ kind: Kind, _ message: String, timeMs: UInt64 = 0, step: Int = 0) {
        self.kind = kind
        self.message = message
        self.timeMs = timeMs
        self.step = step
    }

    /// One line: property, time, step and detail.
    public var description: String { "\(kind.rawValue) at t=\(timeMs)ms step \(step): \(message)" }
}
