import ArgumentParser
import Foundation
import Histogram
import Synchronization
import TesseraClient
import TesseraCore

/// `tessera bench`: concurrent PUT/GET load with HDR latency percentiles.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load a running server and report throughput and latency.")
    @OptionGroup var client: ClientOptions
    @Option(help: "Concurrent clients (connections).") var concurrency = 64
    @Option(help: "Seconds to run.") var duration = 10.0
    @Option(help: "Value size in bytes.") var valueSize = 256
    @Option(help: "Distinct keys.") var keys = 100_000
    @Option(help: "Fraction of requests that are reads (0...1).") var readRatio = 0.5
    @Option(help: "Keyspace.") var keyspace = "default"
    @Flag(help: "Write every key once before measuring.") var preload = false

    final class Stats: Sendable {
        struct State {
            var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
            var reads = 0
            var writes = 0
            var errors = 0
        }
        let state = Mutex(State())
    }

    func run() async throws {
        guard concurrency >= 1, duration > 0, valueSize >= 0, keys >= 1, (0...1).contains(readRatio) else {
            throw UsageError(description: "bad bench parameters")
        }
        let http = client.client(connections: concurrency)
        let value = [UInt8](repeating: UInt8(ascii: "x"), count: valueSize)
        let stats = Stats()
        let keyspace = keyspace
        let keys = keys
        let readRatio = readRatio
        if preload {
            print("preloading \(keys) keys...")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<concurrency {
                    group.addTask {
                        var i = worker
                        while i < keys {
                            _ = try await http.send("PUT", TesseraClient.itemPath(keyspace, "bench:\(i)"), body: value)
                            i += concurrency
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let start = ContinuousClock.now
        let end = start + .milliseconds(Int(duration * 1000))
        let progress = Task {
            var last = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                let total = stats.state.withLock { $0.reads + $0.writes }
                let elapsed = ContinuousClock.now - start
                FileHandle.standardError.write(
                    Data("\r[\(Int(elapsed.components.seconds))s] \(total - last) req/s, \(total) total   ".utf8))
                last = total
            }
        }
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var rng = SystemRandomNumberGenerator()
                    var n = worker
                    while ContinuousClock.now < end {
                        n &+= 1
                        let key = "bench:\(Int.random(in: 0..<keys, using: &rng))"
                        let isRead = Double.random(in: 0..<1, using: &rng) < readRatio
                        let began = ContinuousClock.now
                        let ok: Bool
                        do {
                            let response =
                                try await isRead
                                ? http.send("GET", TesseraClient.itemPath(keyspace, key))
                                : http.send("PUT", TesseraClient.itemPath(keyspace, key), body: value)
                            ok = response.status < 300 || (isRead && response.status == 404)
                        } catch {
                            ok = false
                        }
                        let micros = UInt64(
                            max(
                                1,
                                (ContinuousClock.now - began).components.attoseconds / 1_000_000_000_000
                                    + (ContinuousClock.now - began).components.seconds * 1_000_000))
                        stats.state.withLock { state in
                            if !ok {
                                state.errors += 1
                                return
                            }
                            state.histogram.record(micros)
                            if isRead { state.reads += 1 } else { state.writes += 1 }
                        }
                    }
                }
            }
        }
        progress.cancel()
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        try? await http.shutdown()
        let state = stats.state.withLock { $0 }
        let p = { (q: Double) in Double(state.histogram.valueAtPercentile(q)) / 1000 }
        FileHandle.standardError.write(Data("\n".utf8))
        if client.json {
            print(
                "{\"seconds\":\(seconds),\"reads\":\(state.reads),\"writes\":\(state.writes),\"errors\":\(state.errors),"
                    + "\"readsPerSecond\":\(Double(state.reads) / seconds),\"writesPerSecond\":\(Double(state.writes) / seconds),"
                    + "\"p50Ms\":\(p(50)),\"p99Ms\":\(p(99)),\"p999Ms\":\(p(99.9))}")
        } else {
            print(
                String(
                    format: "duration %.1fs, concurrency %d, value %d B, keys %d", seconds, concurrency, valueSize, keys
                ))
            print(
                String(
                    format: "throughput %.0f req/s (reads %.0f/s, writes %.0f/s), errors %d",
                    Double(state.reads + state.writes) / seconds, Double(state.reads) / seconds,
                    Double(state.writes) / seconds, state.errors))
            print(
                String(
                    format: "latency p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms", p(50), p(99), p(99.9),
                    Double(state.histogram.max) / 1000))
        }
        if state.errors > 0 && state.reads + state.writes == 0 { throw Refusal(message: "every request failed") }
    }
}
