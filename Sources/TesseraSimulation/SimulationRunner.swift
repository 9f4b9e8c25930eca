import TesseraRaft

/// Runs seeds, shrinks failures to a minimal fault schedule, and formats the report lines.
public enum SimulationRunner {
    /// The outcome of one seed.
    public struct Outcome: Sendable {
        /// The seed.
        public var seed: UInt64
        /// The violation found, if any.
        public var failure: SimulationFailure?
        /// Figures from the run (only for passing runs).
        public var stats: SimulationStats?
    }

    /// Runs one seed with its own fault schedule.
    public static func run(seed: UInt64, options: SimulationOptions) -> Outcome {
        var simulation = RaftSimulation(seed: seed, options: options)
        do throws(SimulationFailure) {
            let stats = try simulation.run()
            return Outcome(seed: seed, failure: nil, stats: stats)
        } catch {
            return Outcome(seed: seed, failure: error, stats: nil)
        }
    }

    /// The smallest subset of the seed's fault schedule (found greedily) that still fails the same way.
    public static func shrink(seed: UInt64, options: SimulationOptions, failure: SimulationFailure) -> [FaultEvent] {
        var schedule = RaftSimulation.defaultSchedule(seed: seed, options: options)
        var position = schedule.count - 1
        while position >= 0 {
            var candidate = schedule
            candidate.remove(at: position)
            var simulation = RaftSimulation(seed: seed, options: options, schedule: candidate)
            do throws(SimulationFailure) {
                _ = try simulation.run()
            } catch {
                if error.kind == failure.kind { schedule = candidate }
            }
            position -= 1
        }
        return schedule
    }

    /// The report line of a failing seed: the seed, the violated property, and the shortest fault trace found;
    /// also returns that fault schedule so the caller can replay it with a full event trace.
    public static func report(_ outcome: Outcome, options: SimulationOptions) -> (line: String, faults: [FaultEvent]) {
        guard let failure = outcome.failure else { return ("seed \(outcome.seed): passed", []) }
        let faults = shrink(seed: outcome.seed, options: options, failure: failure)
        let trace =
            faults.isEmpty
            ? "no injected faults (network loss, duplication and delay only)"
            : faults.map(\.description).joined(separator: "; ")
        return ("seed \(outcome.seed): FAILED \(failure) | shortest reproducing fault trace: \(trace)", faults)
    }

    /// The event trace of a seed replayed with `faults`, up to the failure.
    public static func trace(seed: UInt64, options: SimulationOptions, faults: [FaultEvent]) -> [String] {
        var replay = RaftSimulation(seed: seed, options: options, schedule: faults, recordTrace: true)
        do throws(SimulationFailure) {
            _ = try replay.run()
        } catch {
            return replay.traceLines + ["FAILED \(error)"]
        }
        return replay.traceLines
    }
}
