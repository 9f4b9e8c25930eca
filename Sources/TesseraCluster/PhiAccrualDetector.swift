import Foundation

/// Hayashibara et al.'s φ accrual failure detector, computed as Akka's `PhiAccrualFailureDetector` does.
///
/// The detector keeps the last `windowSize` intervals between heartbeats and models the next interval as
/// normally distributed with their mean (plus `acceptableHeartbeatPauseMs`) and standard deviation (at least
/// `minStdDevMs`). φ after `t` ms of silence is `-log10(1 - F(t))`, with `F` the normal CDF approximated by
/// the logistic function `1 / (1 + exp(-y * (1.5976 + 0.070566 * y²)))`, `y = (t - mean) / stddev`.
/// φ = 1 means about a 10% chance that a heartbeat is still coming, φ = 8 about 10⁻⁸.
///
/// As in Akka the window starts with two intervals, `estimate ± estimate / 4` (mean `estimate`, standard
/// deviation `estimate / 4`), which later heartbeats push out. Unlike Akka every interval is recorded, even
/// after a long pause. The detector is pure: the caller passes the time, in milliseconds of any monotonic clock.
public struct PhiAccrualDetector: Sendable {
    private let acceptableHeartbeatPauseMs: Double
    private let minStdDevMs: Double
    private var intervals: IntervalWindow
    private var last: Int64?

    /// Creates a detector that remembers `windowSize` intervals, never assumes a standard deviation below
    /// `minStdDevMs`, adds `acceptableHeartbeatPauseMs` to the mean, and starts from intervals around
    /// `firstHeartbeatEstimateMs`.
    public init(
        windowSize: Int = 100, minStdDevMs: Double = 100, acceptableHeartbeatPauseMs: Double = 0,
        firstHeartbeatEstimateMs: Double = 500
    ) {
        precondition(windowSize >= 2, "the window needs room for at least two intervals")
        precondition(minStdDevMs > 0, "minStdDevMs must be positive")
        precondition(acceptableHeartbeatPauseMs >= 0, "acceptableHeartbeatPauseMs must not be negative")
        precondition(firstHeartbeatEstimateMs > 0, "firstHeartbeatEstimateMs must be positive")
        self.minStdDevMs = minStdDevMs
        self.acceptableHeartbeatPauseMs = acceptableHeartbeatPauseMs
        intervals = IntervalWindow(capacity: windowSize)
        let stdDev = firstHeartbeatEstimateMs / 4
        intervals.append(firstHeartbeatEstimateMs - stdDev)
        intervals.append(firstHeartbeatEstimateMs + stdDev)
    }

    /// The time of the latest heartbeat, nil before the first.
    public var lastHeartbeatMs: Int64? { last }

    /// The mean of the intervals in the window, in milliseconds (without the acceptable pause).
    public var meanIntervalMs: Double { intervals.mean }

    /// The standard deviation of the intervals in the window, in milliseconds (before `minStdDevMs` applies).
    public var intervalStdDevMs: Double { intervals.variance.squareRoot() }

    /// Records a heartbeat received at `atMs`; a heartbeat older than the latest one is ignored.
    public mutating func heartbeat(atMs: Int64) {
        if let last {
            guard atMs >= last else { return }
            intervals.append(Double(atMs - last))
        }
        last = atMs
    }

    /// The suspicion level at `atMs`: 0 before the first heartbeat, then growing with the silence since the
    /// latest one.
    public func phi(atMs: Int64) -> Double {
        guard let last else { return 0 }
        let elapsed = Double(atMs - last)
        let mean = intervals.mean + acceptableHeartbeatPauseMs
        let stdDev = max(intervals.variance.squareRoot(), minStdDevMs)
        return Self.phi(elapsed: elapsed, mean: mean, stdDev: stdDev)
    }

    /// Akka's formula, `-log10(1 - F) = -log10(e / (1 + e))` with `e = exp(-z)`, `z = y * (1.5976 + 0.070566 * y²)`,
    /// rewritten as `log10(1 + exp(-z)) + z / ln 10` so it stays finite and strictly increasing where `e` would
    /// underflow (Akka's φ becomes infinite after about 40 standard deviations).
    private static func phi(elapsed: Double, mean: Double, stdDev: Double) -> Double {
        let y = (elapsed - mean) / stdDev
        let z = y * (1.5976 + 0.070566 * y * y)
        let ln10 = 2.302_585_092_994_046
        if z >= 0 {
            return (z + log1p(exp(-z))) / ln10
        }
        return log1p(exp(z)) / ln10
    }
}

/// A bounded ring buffer of intervals with running sums for their mean and variance.
private struct IntervalWindow: Sendable {
    private var values: [Double]
    private let capacity: Int
    private var next = 0
    private var sum = 0.0
    private var squaredSum = 0.0

    init(capacity: Int) {
        self.capacity = capacity
        values = []
        values.reserveCapacity(capacity)
    }

    var mean: Double { values.isEmpty ? 0 : sum / Double(values.count) }

    var variance: Double {
        guard !values.isEmpty else { return 0 }
        let mean = self.mean
        return max(0, squaredSum / Double(values.count) - mean * mean)
    }

    mutating func append(_ value: Double) {
        if values.count < capacity {
            values.append(value)
            sum += value
            squaredSum += value * value
        } else {
            let old = values[next]
            values[next] = value
            next = (next + 1) % capacity
            if next == 0 {
                // Recompute once per lap so rounding errors of the running sums cannot accumulate.
                sum = values.reduce(0, +)
                squaredSum = values.reduce(0) { $0 + $1 * $1 }
            } else {
                sum += value - old
                squaredSum += value * value - old * old
            }
        }
    }
}
