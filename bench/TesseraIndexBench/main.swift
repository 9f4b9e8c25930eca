// Micro-benchmarks of the pure indexes (release build):
//   swift run -c release -j 1 TesseraIndexBench vector [count] [dimensions] [queries] [out-dir]
//   swift run -c release -j 1 TesseraIndexBench geo [points] [queries] [out-dir]
//   swift run -c release -j 1 TesseraIndexBench text CORPUS.jsonl QUERIES.txt TOP10_OUT.txt
// Times are CPU seconds of the benchmark thread (the machine is shared with compilers).
// `vector` writes its data set (float32, little-endian) to out-dir so bench/hnswlib_bench.py uses the same data.
import TesseraCore
import Foundation
import TesseraIndex

struct Random: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func gaussian() -> Double {
        (-2 * log(max(unit(), 1e-300))).squareRoot() * cos(2 * .pi * unit())
    }
}

func clustered(count: Int, dimensions: Int, clusters: Int, seed: UInt64) -> [[Float]] {
    var random = Random(state: seed)
    let centres = (0..<clusters).map { _ in (0..<dimensions).map { _ in random.gaussian() } }
    return (0..<count).map { _ in
        let centre = centres[Int(random.next() % UInt64(clusters))]
        return centre.map { Float($0 + random.gaussian() * 0.5) }
    }
}

/// CPU time of this thread, so other work on a shared machine does not count against the index.
func cpuSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = cpuSeconds()
    try body()
    return cpuSeconds() - start
}

func write(_ vectors: [[Float]], to path: String) throws {
    var bytes = Data(capacity: vectors.count * (vectors.first?.count ?? 0) * 4)
    for vector in vectors {
        vector.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }
    try bytes.write(to: URL(fileURLWithPath: path))
}

func vectorBench(_ arguments: [String]) throws {
    let count = arguments.count > 0 ? Int(arguments[0])! : 100_000
    let dimensions = arguments.count > 1 ? Int(arguments[1])! : 128
    let queryCount = arguments.count > 2 ? Int(arguments[2])! : 1_000
    let outDirectory = arguments.count > 3 ? arguments[3] : nil
    let all = clustered(count: count + queryCount, dimensions: dimensions, clusters: 100, seed: 2026)
    let data = Array(all.prefix(count))
    let queries = Array(all.suffix(queryCount))
    if let outDirectory {
        try FileManager.default.createDirectory(atPath: outDirectory, withIntermediateDirectories: true)
        try write(data, to: outDirectory + "/data.f32")
        try write(queries, to: outDirectory + "/queries.f32")
    }
    var index = VectorIndex(field: "v", dimensions: dimensions, metric: .l2, m: 16, efConstruction: 200)
    let build = try seconds {
        for (number, vector) in data.enumerated() { try index.upsert(key: String(number), vector: vector) }
    }
    print("tessera build n=\(count) d=\(dimensions) M=16 efConstruction=200 l2: \(String(format: "%.1f", build)) s")
    var truth: [[String]] = []
    let exactTime = try seconds {
        truth = try queries.map { try index.search($0, k: 10, mode: .exact).map(\.key) }
    }
    print("tessera exact k=10: \(String(format: "%.1f", Double(queryCount) / exactTime)) queries/s")
    if let outDirectory {
        let lines = truth.map { $0.joined(separator: " ") }.joined(separator: "\n")
        try Data(lines.utf8).write(to: URL(fileURLWithPath: outDirectory + "/truth.txt"))
    }
    let rounds = Int(ProcessInfo.processInfo.environment["TESSERA_BENCH_ROUNDS"] ?? "1") ?? 1
    for ef in [16, 32, 64, 128, 256] {
        var results: [[VectorHit]] = []
        results.reserveCapacity(queryCount)
        let time = try seconds {
            for _ in 0..<rounds {
                results.removeAll(keepingCapacity: true)
                for query in queries { results.append(try index.search(query, k: 10, ef: ef, mode: .approximate)) }
            }
        }
        var found = 0
        for (number, hits) in results.enumerated() { found += Set(hits.map(\.key)).intersection(truth[number]).count }
        let recall = Double(found) / Double(queryCount * 10)
        print(
            "tessera ef=\(ef): \(String(format: "%.0f", Double(queryCount * rounds) / time)) queries/s, recall@10 "
                + String(format: "%.4f", recall))
    }
}

func geoBench(_ arguments: [String]) throws {
    let count = arguments.count > 0 ? Int(arguments[0])! : 1_000_000
    let queryCount = arguments.count > 1 ? Int(arguments[1])! : 10_000
    let outDirectory = arguments.count > 2 ? arguments[2] : nil
    var random = Random(state: 99)
    // Points in a 2° x 2° square around Paris, so a 720 m radius holds about 50 of them.
    let points = try (0..<count).map { _ in try GeoPoint(lat: 47.85 + random.unit() * 2, lon: 1.35 + random.unit() * 2) }
    let centres = try (0..<queryCount).map { _ in try GeoPoint(lat: 48.35 + random.unit(), lon: 1.85 + random.unit()) }
    if let outDirectory {
        try FileManager.default.createDirectory(atPath: outDirectory, withIntermediateDirectories: true)
        let pointLines = points.enumerated().map { "\($0.element.lon) \($0.element.lat) \($0.offset)" }
        try Data((pointLines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: outDirectory + "/points.txt"))
        let queryLines = centres.map { "\($0.lon) \($0.lat)" }
        try Data((queryLines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: outDirectory + "/queries.txt"))
    }
    var index = GeoIndex(field: "loc")
    let build = try seconds {
        for (number, point) in points.enumerated() {
            let document = JSONValue.object(["loc": .object(["lat": .number(point.lat), "lon": .number(point.lon)])])
            try index.upsert(key: String(number), document: document)
        }
    }
    print("tessera geo build \(count) points: \(String(format: "%.1f", build)) s")
    var latencies: [Double] = []
    var hits = 0
    let total = try seconds {
        for centre in centres {
            let start = cpuSeconds()
            hits += try index.near(centre, radiusM: 720, limit: 1_000).count
            latencies.append((cpuSeconds() - start) * 1e6)
        }
    }
    latencies.sort()
    print(
        "tessera geo near r=720 m: \(String(format: "%.0f", Double(queryCount) / total)) queries/s, "
            + "mean hits \(String(format: "%.1f", Double(hits) / Double(queryCount))), "
            + "mean \(String(format: "%.1f", total / Double(queryCount) * 1e6)) µs, "
            + "p50 \(String(format: "%.0f", latencies[queryCount / 2])) µs, "
            + "p99 \(String(format: "%.0f", latencies[queryCount * 99 / 100])) µs")
}

func textBench(_ arguments: [String]) throws {
    guard arguments.count == 3 else { fatalError("text CORPUS.jsonl QUERIES.txt TOP10_OUT.txt") }
    let corpus = try String(contentsOfFile: arguments[0], encoding: .utf8)
    let documents = try corpus.split(separator: "\n").map { line in try JSONValue.parse(Data(line.utf8)) }
    let queries = try String(contentsOfFile: arguments[1], encoding: .utf8).split(separator: "\n").map(String.init)
    var index = TextIndex(fields: ["title", "body"])
    let build = seconds {
        for document in documents { index.upsert(key: document["key"]?.stringValue ?? "", document: document) }
    }
    print("tessera index \(documents.count) documents: \(String(format: "%.2f", build)) s CPU")
    var latencies: [Double] = []
    var lines: [String] = []
    for query in queries {
        var hits: [TextHit] = []
        latencies.append(try seconds { hits = try index.search(query, limit: 10) })
        lines.append(hits.map(\.key).joined(separator: " "))
    }
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: arguments[2]))
    latencies.sort()
    let mean = latencies.reduce(0, +) / Double(latencies.count)
    print(
        "tessera query: mean \(String(format: "%.0f", mean * 1e6)) µs, "
            + "p99 \(String(format: "%.0f", latencies[latencies.count * 99 / 100 - 1] * 1e6)) µs (CPU)")
}

/// Issue 4's recall bar at its full size, for the test suite (a release build; the debug XCTest runs a
/// smaller set): recall@10 >= 0.95 against brute force on 20,000 clustered 128-dimensional vectors at the
/// default parameters (M 16, efConstruction 200, ef 64), for cosine and l2. Exits 1 below the bar.
func recallCheck() throws {
    let count = 20_000
    let queryCount = 200
    let all = clustered(count: count + queryCount, dimensions: 128, clusters: 50, seed: 2026)
    let data = Array(all.prefix(count))
    var failed = false
    for metric in [VectorMetric.cosine, .l2] {
        var index = VectorIndex(field: "v", dimensions: 128, metric: metric)
        for (number, vector) in data.enumerated() { try index.upsert(key: "\(number)", vector: vector) }
        var found = 0
        for query in all.suffix(queryCount) {
            let exact = try index.search(query, k: 10, mode: .exact).map(\.key)
            let approximate = try index.search(query, k: 10, ef: VectorIndex.efDefault, mode: .approximate).map(\.key)
            found += Set(exact).intersection(approximate).count
        }
        let recall = Double(found) / Double(queryCount * 10)
        let passed = recall >= 0.95
        failed = failed || !passed
        print("recall@10 \(metric), 20000 x 128, ef \(VectorIndex.efDefault): \(recall) (bar 0.95): \(passed ? "passed" : "FAILED")")
    }
    if failed { exit(1) }
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "recall": try recallCheck()
case "vector": try vectorBench(Array(arguments.dropFirst()))
case "geo": try geoBench(Array(arguments.dropFirst()))
case "text": try textBench(Array(arguments.dropFirst()))
default: print("usage: TesseraIndexBench vector|geo|text|recall ...")
}
