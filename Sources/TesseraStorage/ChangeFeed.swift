import DequeModule
import Synchronization
import TesseraCore

/// The retained change history of one keyspace, with waiters for long polling and streaming.
///
/// Events are kept for the keyspace's retention time and at most `eventsMax` of them; a cursor older than what
/// is kept answers `cursor_expired`. Events enter the feed only once durable, in log order.
public final class ChangeFeed: Sendable {
    private struct State {
        var events = Deque<ChangeEvent>()
        /// Every event with an LSN at or below the horizon is gone.
        var horizon: UInt64
        /// The newest LSN this feed has seen (its own events, or a position it was created at).
        var head: UInt64
        var retentionMs: Int64
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var cancelled: Set<Int> = []
        var nextWaiterID = 0
    }

    private let state: Mutex<State>
    /// The most events kept, whatever the retention time.
    public let eventsMax: Int

    init(horizon: UInt64, retentionSeconds: Int, eventsMax: Int) {
        state = Mutex(State(horizon: horizon, head: horizon, retentionMs: Int64(retentionSeconds) * 1000))
        self.eventsMax = eventsMax
    }

    /// The cursor of "now": what a watcher without a cursor starts from.
    public var headCursor: UInt64 { state.withLock { $0.head } }

    /// The oldest cursor still served.
    public var horizonCursor: UInt64 { state.withLock { $0.horizon } }

    /// Number of retained events.
    public var retainedCount: Int { state.withLock { $0.events.count } }

    func setRetention(seconds: Int) {
        state.withLock { $0.retentionMs = Int64(seconds) * 1000 }
    }

    /// Appends committed events (LSN order) and wakes every waiter.
    func publish(_ events: [ChangeEvent], nowMs: Int64) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            for event in events where event.lsn > state.head {
                state.events.append(event)
                state.head = event.lsn
            }
            trim(&state, nowMs: nowMs)
            let waiters = Array(state.waiters.values)
            state.waiters.removeAll()
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Recovery: history begins after `lsn` (events up to it had been trimmed before the snapshot).
    func restoreHorizon(_ lsn: UInt64) {
        state.withLock { state in
            guard state.events.isEmpty else { return }
            state.horizon = lsn
            state.head = lsn
        }
    }

    /// Recovery: re-adds a retained event from the snapshot, in LSN order.
    func restore(_ event: ChangeEvent) {
        state.withLock { state in
            guard event.lsn > state.head else { return }
            state.events.append(event)
            state.head = event.lsn
        }
    }

    /// Every retained event with an LSN below `lsn`, oldest first, and the horizon.
    func retained(below lsn: UInt64) -> (horizon: UInt64, events: [ChangeEvent]) {
        state.withLock { state in (state.horizon, state.events.filter { $0.lsn < lsn }) }
    }

    /// Moves the head past `lsn` without an event (the keyspace was created there).
    func advanceHead(to lsn: UInt64) {
        state.withLock { state in
            if lsn > state.head { state.head = lsn }
            if state.events.isEmpty, lsn > state.horizon { state.horizon = lsn }
        }
    }

    /// Drops events past retention.
    func trim(nowMs: Int64) {
        state.withLock { trim(&$0, nowMs: nowMs) }
    }

    private func trim(_ state: inout State, nowMs: Int64) {
        while let first = state.events.first,
            state.events.count > eventsMax || first.tsMs < nowMs - state.retentionMs
        {
            state.horizon = first.lsn
            state.events.removeFirst()
        }
    }

    /// Events after `cursor` whose keys start with `prefix`, at most `limit`, and the cursor to continue from.
    /// Throws `cursor_expired` when events after `cursor` are no longer retained.
    public func read(after cursor: UInt64, prefix: String, limit: Int, keyFilter: ((String) -> Bool)? = nil)
        throws(TesseraError) -> (events: [ChangeEvent], next: UInt64)
    {
        try state.withLock { state throws(TesseraError) in
            guard cursor >= state.horizon else {
                throw TesseraError(
                    .cursorExpired,
                    "cursor \(cursor) is older than the retained history (oldest cursor: \(state.horizon))")
            }
            var low = 0
            var high = state.events.count
            while low < high {
                let mid = (low + high) / 2
                if state.events[mid].lsn <= cursor { low = mid + 1 } else { high = mid }
            }
            var out: [ChangeEvent] = []
            var index = low
            while index < state.events.count, out.count < limit {
                let event = state.events[index]
                if prefix.isEmpty || event.key.utf8.starts(with: prefix.utf8), keyFilter?(event.key) ?? true {
                    out.append(event)
                }
                index += 1
            }
            let next = index < state.events.count ? (out.last?.lsn ?? cursor) : max(cursor, state.head)
            return (out, next)
        }
    }

    /// Waits until an event is published after `cursor`, or `timeoutMs` passes, or the task is cancelled.
    public func waitForEvents(after cursor: UInt64, timeoutMs: Int) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForPublish(after: cursor) }
            group.addTask { try? await Task.sleep(for: .milliseconds(timeoutMs)) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForPublish(after cursor: UInt64) async {
        let id = state.withLock { state -> Int in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.head > cursor || state.cancelled.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                state.cancelled.insert(id)
                return nil
            }
            waiter?.resume()
        }
        state.withLock { _ = $0.cancelled.remove(id) }
    }
}
