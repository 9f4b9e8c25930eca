/// A hybrid logical clock reading: 48 bits of physical milliseconds and 16 bits of logical counter.
public struct HybridTimestamp: Sendable, Hashable, Comparable {
    /// The packed value; comparing packed values compares timestamps.
    public var rawValue: UInt64

    /// Wraps a packed value.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Packs physical milliseconds and a logical counter.
    public init(physicalMs: Int64, logical: UInt16) {
        rawValue = (UInt64(max(0, physicalMs)) << 16) | UInt64(logical)
    }

    /// The physical part in Unix epoch milliseconds.
    public var physicalMs: Int64 { Int64(rawValue >> 16) }
    /// The logical counter.
    public var logical: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A hybrid logical clock (Kulkarni et al.): monotonic even when the wall clock steps back, and close to it.
/// Pure: the caller passes the wall clock reading.
public struct HybridClock: Sendable {
    /// The last timestamp issued or observed.
    public private(set) var last: HybridTimestamp

    /// Starts a clock that will never issue a timestamp at or below `last`.
    public init(last: HybridTimestamp = HybridTimestamp(rawValue: 0)) { self.last = last }

    /// Issues a new timestamp strictly greater than every earlier one.
    public mutating func now(wallMs: Int64) -> HybridTimestamp {
        let wall = HybridTimestamp(physicalMs: wallMs, logical: 0)
        if wall > last {
            last = wall
        } else {
            last = HybridTimestamp(rawValue: last.rawValue &+ 1)
        }
        return last
    }

    /// Moves the clock past a timestamp seen elsewhere (a message, or the log at recovery).
    public mutating func observe(_ remote: HybridTimestamp) {
        if remote > last { last = remote }
    }
}
