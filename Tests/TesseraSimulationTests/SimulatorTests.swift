import Dispatch
import Synchronization
import TesseraRaft
import TesseraSimulation
import XCTest

/// The simulator itself: determinism, the seed sweep CI runs, and proof that it catches broken protocols.
final class SimulatorTests: XCTestCase {
    /// The same seed replays the same run, event for event.
    func testSameSeedReplaysExactly() throws {
        for seed: UInt64 in [3, 17] {
            var first = RaftSimulation(seed: seed, options: SimulationOptions(), recordTrace: true)
            var second = RaftSimulation(seed: seed, options: SimulationOptions(), recordTrace: true)
            let a = try first.run()
            let b = try second.run()
            XCTAssertEqual(a, b)
            XCTAssertEqual(first.traceLines, second.traceLines)
            XCTAssertGreaterThan(first.traceLines.count, 50)
        }
    }

    /// Runs fault schedules drawn from 2,000 seeds (1,500 with three voters, 500 with five), on two threads;
    /// every safety invariant is checked after every event, every history is judged linearizable, and after the
    /// heal every operation completes. Prints the seeds per second it achieved.
    func testTwoThousandSeedsPass() {
        let jobs: [(nodes: Int, seed: UInt64)] =
            (UInt64(1)...1_500).map { (3, $0) } + (UInt64(100_001)...100_500).map { (5, $0) }
        let results = Mutex<[(failure: String?, committed: LogIndex, operations: Int)]>([])
        let workers = 2
        let start = ContinuousClock.now
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var local: [(failure: String?, committed: LogIndex, operations: Int)] = []
            for job in stride(from: worker, to: jobs.count, by: workers).map({ jobs[$0] }) {
                let outcome = SimulationRunner.run(seed: job.seed, options: SimulationOptions(nodes: job.nodes))
                let failure = outcome.failure.map { "nodes \(job.nodes) seed \(job.seed): \($0)" }
                local.append((failure, outcome.stats?.committedEntries ?? 0, outcome.stats?.operations ?? 0))
            }
            results.withLock { $0.append(contentsOf: local) }
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let all = results.withLock { $0 }
        let failures = all.compactMap(\.failure)
        let operations = all.map(\.operations).reduce(0, +)
        let committed = all.map(\.committed).reduce(0, +)
        print(
            "\(all.count) seeds in \(seconds) s: \(Double(all.count) / seconds) seeds/s, \(committed) entries, \(operations) ops"
        )
        XCTAssertEqual(all.count, 2_000)
        XCTAssertEqual(failures, [])
        XCTAssertGreaterThan(operations, 100_000, "the clients did real work")
    }

    /// Proof that the simulator bites: granting two votes in one term is caught as an election-safety violation.
    func testDoubleVotingIsCaught() {
        assertCaught(bug: "double-vote", within: 300, kind: .electionSafety)
    }

    /// Proof that it bites: voting without the up-to-date check loses committed entries.
    func testSkippingUpToDateCheckIsCaught() {
        assertCaught(bug: "skip-up-to-date", within: 300, kind: nil)
    }

    private func assertCaught(bug: String, within seeds: UInt64, kind: SimulationFailure.Kind?) {
        var options = SimulationOptions()
        XCTAssertTrue(options.injectBug(named: bug))
        for seed in 1...seeds {
            let outcome = SimulationRunner.run(seed: seed, options: options)
            guard let failure = outcome.failure else { continue }
            if let kind { XCTAssertEqual(failure.kind, kind) }
            print("\(bug) caught at seed \(seed): \(failure)")
            let report = SimulationRunner.report(outcome, options: options)
            XCTAssertTrue(report.line.hasPrefix("seed \(seed): FAILED"), report.line)
            let trace = SimulationRunner.trace(seed: seed, options: options, faults: report.faults)
            XCTAssertTrue(trace.last?.hasPrefix("FAILED") == true, "the shortest fault trace still reproduces")
            return
        }
        XCTFail("\(bug) was not caught within \(seeds) seeds")
    }

    /// Shrinking keeps only faults needed to reproduce, and the shrunk schedule still fails.
    func testShrunkScheduleStillReproduces() throws {
        var options = SimulationOptions()
        XCTAssertTrue(options.injectBug(named: "skip-up-to-date"))
        let failing = try XCTUnwrap(
            (UInt64(1)...300).lazy.map { SimulationRunner.run(seed: $0, options: options) }.first {
                $0.failure != nil
            })
        let failure = try XCTUnwrap(failing.failure)
        let shrunk = SimulationRunner.shrink(seed: failing.seed, options: options, failure: failure)
        XCTAssertLessThanOrEqual(
            shrunk.count, RaftSimulation.defaultSchedule(seed: failing.seed, options: options).count)
        var replay = RaftSimulation(seed: failing.seed, options: options, schedule: shrunk)
        XCTAssertThrowsError(try replay.run())
    }
}
