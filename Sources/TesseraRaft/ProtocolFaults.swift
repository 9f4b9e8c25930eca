/// Deliberate bugs that the simulator must catch; never set outside tests.
package struct ProtocolFaults: OptionSet, Sendable, Hashable {
    /// The bits of the set.
    package let rawValue: UInt8
    /// Creates a set from its bits.
    package init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Commit any entry replicated on a majority, even one from an earlier term (breaks §5.4.2, Figure 8).
    package static let commitEarlierTermByCounting = ProtocolFaults(rawValue: 1 << 0)
    /// Grant a vote to every candidate that asks, ignoring the vote already cast in this term (breaks §5.2).
    package static let grantMultipleVotesPerTerm = ProtocolFaults(rawValue: 1 << 1)
    /// Grant votes without the election restriction's up-to-date check (breaks §5.4.1).
    package static let skipUpToDateCheck = ProtocolFaults(rawValue: 1 << 2)
}
