import Foundation
import Prometheus
import Synchronization
import TesseraCluster
import TesseraStorage

/// The node's Prometheus metrics: request counters and latency histograms by route template, connection and
/// subscriber gauges, and gauges computed at scrape time (process, keys, storage, locks).
final class NodeMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    static let latencyBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    init() {
        for kind in ["sse", "longpoll", "websocket"] { _ = subscriberGauge(kind) }
        _ = connectionGauge("http")
    }

    private struct RequestSeries {
        let counter: Prometheus.Counter
        let histogram: DurationHistogram
    }

    /// The series of each (method, route, status), so the hot path skips the registry's label lookups.
    private let requestSeries = Mutex<[String: RequestSeries]>([:])

    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        let key = method + " " + route + " " + String(status)
        if let series = requestSeries.withLock({ $0[key] }) {
            series.counter.increment()
            series.histogram.record(duration)
            return
        }
        let counter = registry.makeCounter(
            descriptor: .init(
                namespace: "tessera", metricName: "http_requests", unitName: "total", helpText: "HTTP requests served"),
            labels: [("method", method), ("route", route), ("status", String(status))]
        )
        let histogram = registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "tessera", metricName: "http_request_duration", unitName: "seconds",
                helpText: "HTTP request latency by route"),
            labels: [("route", route)], buckets: Self.latencyBuckets
        )
        requestSeries.withLock { $0[key] = RequestSeries(counter: counter, histogram: histogram) }
        counter.increment()
        histogram.record(duration)
    }

    private func subscriberGauge(_ kind: String) -> Gauge {
        registry.makeGauge(
            descriptor: .init(
                namespace: "tessera", metricName: "subscribers", unitName: "",
                helpText: "Open change and channel subscriptions"),
            labels: [("kind", kind)])
    }

    private func connectionGauge(_ proto: String) -> Gauge {
        registry.makeGauge(
            descriptor: .init(
                namespace: "tessera", metricName: "active_connections", unitName: "",
                helpText: "Open client connections"),
            labels: [("protocol", proto)])
    }

    func subscribers(kind: String, delta: Double) {
        subscriberGauge(kind).increment(by: delta)
    }

    func connections(protocol proto: String, delta: Double) {
        connectionGauge(proto).increment(by: delta)
    }

    /// The full exposition: registry metrics plus the gauges computed now.
    func render(engine: StorageEngine, cluster: ClusterNode) -> [UInt8] {
        var out = registry.emitToBuffer()
        var text = ""
        let process = ProcessStats.read()
        text += "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
        text += "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total \(process.cpuSeconds)\n"
        text += "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
        text += "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes \(process.residentBytes)\n"
        text += "# HELP process_open_fds Number of open file descriptors.\n"
        text += "# TYPE process_open_fds gauge\nprocess_open_fds \(process.openFDs)\n"
        text += "# HELP process_start_time_seconds Start time of the process since the Unix epoch in seconds.\n"
        text += "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds \(process.startTimeSeconds)\n"
        text += "# HELP tessera_keys Stored keys per keyspace.\n# TYPE tessera_keys gauge\n"
        for (keyspace, count) in engine.keyCounts().sorted(by: { $0.key < $1.key }) {
            text += "tessera_keys{keyspace=\"\(keyspace)\"} \(count)\n"
        }
        text += "# HELP tessera_storage_bytes Bytes of the data directory (log segments and snapshots).\n"
        text += "# TYPE tessera_storage_bytes gauge\ntessera_storage_bytes \(engine.diskBytes)\n"
        text += "# HELP tessera_memory_data_bytes Bytes of keys and values held in memory.\n"
        text += "# TYPE tessera_memory_data_bytes gauge\ntessera_memory_data_bytes \(engine.memoryBytes)\n"
        text += "# HELP tessera_locks_held Locks currently held.\n"
        text += "# TYPE tessera_locks_held gauge\ntessera_locks_held \(engine.locksHeld)\n"
        text += "# HELP tessera_queue_jobs Jobs per queue and state (queues are not built yet).\n"
        text += "# TYPE tessera_queue_jobs gauge\n"
        text += Self.clusterText(cluster)
        out.append(contentsOf: text.utf8)
        return out
    }
}

extension NodeMetrics {
    /// The cluster layer's gauges and counters.
    static func clusterText(_ cluster: ClusterNode) -> String {
        let stats = cluster.stats
        var text = "# HELP tessera_cluster_members Members by observed state.\n# TYPE tessera_cluster_members gauge\n"
        let members = cluster.members()
        for state in ["up", "suspect", "down", "joining", "leaving"] {
            text += "tessera_cluster_members{state=\"\(state)\"} \(members.filter { $0.state == state }.count)\n"
        }
        let me = members.first { $0.id == cluster.nodeID }
        text += "# HELP tessera_rebalance_transfers Keyspace partitions this node moves (join or leave).\n"
        text += "# TYPE tessera_rebalance_transfers gauge\n"
        text += "tessera_rebalance_transfers{state=\"total\"} \(me?.streamsTotal ?? 0)\n"
        text += "tessera_rebalance_transfers{state=\"done\"} \(me?.streamsDone ?? 0)\n"
        text += "# HELP tessera_rebalance_items_total Items moved by rebalancing.\n"
        text +=
            "# TYPE tessera_rebalance_items_total counter\ntessera_rebalance_items_total \(me?.streamedItems ?? 0)\n"
        text += "# HELP tessera_hints_pending Writes held for unreachable replicas.\n"
        text += "# TYPE tessera_hints_pending gauge\ntessera_hints_pending \(cluster.pendingHints)\n"
        let counters: [(String, String, Int)] = [
            ("tessera_hints_stored_total", "Hints stored for unreachable replicas.", stats.hintsStored),
            ("tessera_hints_delivered_total", "Hints delivered.", stats.hintsDelivered),
            ("tessera_read_repairs_total", "Stale replicas repaired by reads.", stats.readRepairs),
            ("tessera_anti_entropy_rounds_total", "Merkle-tree exchanges.", stats.antiEntropyRounds),
            ("tessera_anti_entropy_repairs_total", "Records repaired by anti-entropy.", stats.antiEntropyRepairs),
            ("tessera_unavailable_total", "Requests refused for want of replicas.", stats.unavailable),
        ]
        for (name, help, value) in counters {
            text += "# HELP \(name) \(help)\n# TYPE \(name) counter\n\(name) \(value)\n"
        }
        return text
    }
}

/// Process figures from /proc (Linux).
struct ProcessStats {
    var cpuSeconds: Double = 0
    var residentBytes: Int = 0
    var openFDs: Int = 0
    var startTimeSeconds: Double = 0

    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    static func read() -> ProcessStats {
        var stats = ProcessStats()
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        {
            // Fields after the command name: state is field 3; utime 14, stime 15, starttime 22 (1-based).
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 19, let utime = Double(fields[11]), let stime = Double(fields[12]),
                let start = Double(fields[19])
            {
                stats.cpuSeconds = (utime + stime) / ticksPerSecond
                stats.startTimeSeconds = bootTimeSeconds() + start / ticksPerSecond
            }
        }
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
            let fields = statm.split(separator: " ")
            if fields.count > 1, let pages = Int(fields[1]) { stats.residentBytes = pages * pageSize }
        }
        stats.openFDs = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.count ?? 1) - 1
        return stats
    }

    private static func bootTimeSeconds() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }
}
