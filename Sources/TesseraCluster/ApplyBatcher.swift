import Synchronization
import TesseraStorage

/// Coalesces the records that concurrent requests send to one peer into shared `Apply` calls, as group commit
/// does for fsyncs: while a call to a peer is in flight, new records queue, and the next call carries all of
/// them (up to `maxRecords`). The peer applies a batch with one fsync. Under load this turns one RPC per write
/// and replica into one per batch; an idle request pays no wait.
final class ApplyBatcher: Sendable {
    typealias Send = @Sendable (_ target: String, _ records: [ReplicaRecord]) async -> [ReplicaApplyResult]?

    private struct Waiter {
        var records: [ReplicaRecord]
        var continuation: CheckedContinuation<[ReplicaApplyResult]?, Never>
    }

    private struct Queue {
        var waiters: [Waiter] = []
        var senders = 0
    }

    private let queues = Mutex<[String: Queue]>([:])
    private let send: Send
    let maxRecords: Int
    let maxInFlight: Int

    init(maxRecords: Int = 1024, maxInFlight: Int = 2, send: @escaping Send) {
        self.maxRecords = maxRecords
        self.maxInFlight = maxInFlight
        self.send = send
    }

    /// Applies `records` on `target` within some batch; the results of these records, or nil when the call
    /// that carried them failed.
    func apply(_ records: [ReplicaRecord], on target: String) async -> [ReplicaApplyResult]? {
        await withCheckedContinuation { continuation in
            let startSender = queues.withLock { queues in
                var queue = queues[target] ?? Queue()
                queue.waiters.append(Waiter(records: records, continuation: continuation))
                let start = queue.senders < maxInFlight
                if start { queue.senders += 1 }
                queues[target] = queue
                return start
            }
            if startSender { Task { await self.drain(target) } }
        }
    }

    /// Sends what is queued for `target`, batch after batch, until the queue is empty.
    private func drain(_ target: String) async {
        while true {
            let batch: [Waiter] = queues.withLock { queues in
                guard var queue = queues[target], !queue.waiters.isEmpty else {
                    queues[target]?.senders -= 1
                    return []
                }
                var end = 0
                var count = 0
                while end < queue.waiters.count, end == 0 || count + queue.waiters[end].records.count <= maxRecords {
                    count += queue.waiters[end].records.count
                    end += 1
                }
                let taken = Array(queue.waiters[..<end])
                queue.waiters.removeFirst(end)
                queues[target] = queue
                return taken
            }
            if batch.isEmpty { return }
            let results = await send(target, batch.flatMap(\.records))
            var offset = 0
            for waiter in batch {
                let count = waiter.records.count
                if let results, results.count >= offset + count {
                    waiter.continuation.resume(returning: Array(results[offset..<(offset + count)]))
                } else {
                    waiter.continuation.resume(returning: nil)
                }
                offset += count
            }
        }
    }
}
