import TesseraRaft

/// Where, in handling its next batch of output, a crashing node stops.
public enum CrashPoint: Sendable, Hashable, CustomStringConvertible {
    /// Before anything of the batch is on disk.
    case beforePersist
    /// After the first `entries` new entries reached the disk (a torn append), before the hard state.
    case tornAppend(entries: Int)
    /// After persisting everything, before sending a single message.
    case beforeSend
    /// Right now, between two batches.
    case idle

    /// A short description.
    public var description: String {
        switch self {
        case .beforePersist: return "before-persist"
        case .tornAppend(let count): return "torn-append(\(count))"
        case .beforeSend: return "before-send"
        case .idle: return "idle"
        }
    }
}
