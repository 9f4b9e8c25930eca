import TesseraRaft
import TesseraSimulation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Command-line errors, reported with the usage text.
struct UsageError: Error, CustomStringConvertible {
    var description: String
}

let usage = """
    usage: tessera-sim raft [--seeds N] [--from S] [--nodes 3|5] [--faults N] [--bug NAME] [--trace] [--stats]
           tessera-sim bench [--seeds N] [--entries N]
      raft   runs N seeds starting at S; prints one line per failing seed and `N passed, M failed`
      bench  measures seeds per second and committed entries per second (3 and 5 replicas)
      --faults about N fault events per run (default 6; drawn uniformly from 0...2N)
      --bug  commit-earlier-term | double-vote | skip-up-to-date (deliberately broken protocol)
      --trace prints the event trace of every failing seed, replayed with its shortest fault trace
    """

func monotonicSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    let whole = scaled / Int(scale)
    let fraction = String(scaled % Int(scale))
    let padded = String(repeating: "0", count: max(0, digits - fraction.count)) + fraction
    return digits == 0 ? "\(whole)" : "\(whole).\(padded)"
}

func parse(_ arguments: ArraySlice<String>) throws(UsageError) -> [String: String] {
    var values: [String: String] = [:]
    var iterator = arguments.makeIterator()
    while let argument = iterator.next() {
        guard argument.hasPrefix("--") else { throw UsageError(description: "unexpected argument \(argument)") }
        let name = String(argument.dropFirst(2))
        if name == "trace" || name == "stats" {
            values[name] = "1"
            continue
        }
        guard let value = iterator.next() else { throw UsageError(description: "missing value for \(argument)") }
        values[name] = value
    }
    return values
}

func number(_ values: [String: String], _ name: String, _ fallback: UInt64) throws(UsageError) -> UInt64 {
    guard let text = values[name] else { return fallback }
    guard let value = UInt64(text) else { throw UsageError(description: "--\(name) needs a number, got \(text)") }
    return value
}

func runRaft(_ values: [String: String]) throws(UsageError) -> Int32 {
    let seeds = try number(values, "seeds", 100)
    let from = try number(values, "from", 1)
    let nodes = try number(values, "nodes", 3)
    guard nodes == 3 || nodes == 5 else { throw UsageError(description: "--nodes must be 3 or 5") }
    var options = SimulationOptions(nodes: Int(nodes))
    options.faultEvents = Int(try number(values, "faults", UInt64(options.faultEvents)))
    if let bug = values["bug"], !options.injectBug(named: bug) {
        throw UsageError(description: "unknown bug \(bug)")
    }
    var passed = 0
    var failed = 0
    for seed in from..<(from + seeds) {
        let outcome = SimulationRunner.run(seed: seed, options: options)
        if outcome.failure == nil {
            if values["stats"] != nil, let stats = outcome.stats {
                print(
                    "seed \(seed): events \(stats.events), committed \(stats.committedEntries), "
                        + "ops \(stats.operations) (unknown \(stats.unknownOutcomes)), crashes \(stats.crashes), "
                        + "membership changes \(stats.membershipChanges), elections \(stats.elections), "
                        + "snapshots installed \(stats.snapshotsInstalled), transfers \(stats.transfers)"
                        + (stats.linearizabilityInconclusive ? ", linearizability inconclusive" : "")
                )
            }
            passed += 1
            continue
        }
        failed += 1
        let report = SimulationRunner.report(outcome, options: options)
        print(report.line)
        if values["trace"] != nil {
            for line in SimulationRunner.trace(seed: seed, options: options, faults: report.faults) {
                print("    \(line)")
            }
        }
    }
    print("\(passed) passed, \(failed) failed")
    return failed == 0 ? 0 : 1
}

func runBench(_ values: [String: String]) throws(UsageError) -> Int32 {
    let seeds = try number(values, "seeds", 200)
    let entries = try number(values, "entries", 200_000)
    for nodes in [3, 5] {
        let options = SimulationOptions(nodes: nodes)
        let start = monotonicSeconds()
        var failed = 0
        var total = SimulationStats()
        var inconclusive = 0
        for seed in 1...seeds {
            let outcome = SimulationRunner.run(seed: seed, options: options)
            if outcome.failure != nil { failed += 1 }
            guard let stats = outcome.stats else { continue }
            total.events += stats.events
            total.committedEntries += stats.committedEntries
            total.operations += stats.operations
            total.unknownOutcomes += stats.unknownOutcomes
            total.crashes += stats.crashes
            total.membershipChanges += stats.membershipChanges
            total.elections += stats.elections
            total.snapshotsInstalled += stats.snapshotsInstalled
            total.transfers += stats.transfers
            if stats.linearizabilityInconclusive { inconclusive += 1 }
        }
        let events = total.events
        let elapsed = monotonicSeconds() - start
        print(
            "simulation, \(nodes) nodes: \(seeds) seeds in \(fixed(elapsed, 2)) s = "
                + "\(fixed(Double(seeds) / elapsed, 1)) seeds/s (\(events / Int(seeds)) events/seed, "
                + "\(failed) failed)"
        )
        func perSeed(_ value: Int, _ digits: Int = 2) -> String { fixed(Double(value) / Double(seeds), digits) }
        var coverage = "  per seed: \(perSeed(Int(total.committedEntries), 1)) entries applied, "
        coverage += "\(perSeed(total.operations, 1)) client ops (\(perSeed(total.unknownOutcomes)) unknown), "
        coverage += "\(perSeed(total.crashes)) crashes, \(perSeed(total.elections)) elections, "
        coverage += "\(perSeed(total.snapshotsInstalled)) snapshots installed, "
        coverage += "\(perSeed(total.membershipChanges)) membership changes, \(perSeed(total.transfers)) transfers; "
        coverage += "linearizability inconclusive in \(inconclusive) seeds"
        print(coverage)
    }
    for nodes in [3, 5] {
        for batch in [1, 64, 256] {
            let result = ThroughputBenchmark.run(
                nodes: nodes, entries: Int(entries), batch: batch, payloadBytes: 128, clock: monotonicSeconds)
            print(
                "throughput, \(nodes) replicas, batch \(batch), 128-byte entries: \(result.entries) entries committed "
                    + "and applied on all replicas in \(fixed(result.seconds, 3)) s = "
                    + "\(Int(Double(result.entries) / result.seconds)) entries/s"
            )
        }
    }
    return 0
}

let arguments = CommandLine.arguments.dropFirst()
do throws(UsageError) {
    switch arguments.first {
    case "raft": exit(try runRaft(try parse(arguments.dropFirst())))
    case "bench": exit(try runBench(try parse(arguments.dropFirst())))
    default: throw UsageError(description: "missing subcommand")
    }
} catch {
    print("error: \(error)\n\(usage)")
    exit(2)
}
