/// The verdict of the linearizability checker.
public enum LinearizabilityResult: Sendable, Hashable {
    /// A linearization exists.
    case linearizable
    /// No linearization exists.
    case notLinearizable
    /// The search exceeded its step budget without a verdict.
    case inconclusive
}
