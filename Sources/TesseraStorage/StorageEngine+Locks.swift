import DequeModule
import TesseraCore

/// The lock table plus the queue of waiters per lock (first come, first served).
struct LockState: Sendable {
    struct Waiter: Sendable {
        var id: Int
        var owner: String
        var leaseId: String
        var ttlMs: Int64
        var deadlineMs: Int64
        var continuation: CheckedContinuation<(LockLease, UInt64), any Error>
    }

    var table: LockTable
    var waiters: [String: Deque<Waiter>] = [:]
    var nextWaiterID = 0
}

extension StorageEngine {
    /// Acquires a lock, waiting up to `waitMs` behind earlier waiters; throws `lock_held` with the holder.
    public func acquireLock(name: String, owner: String, ttlMs: Int64, waitMs: Int64, leaseId: String)
        async throws(TesseraError) -> LockLease
    {
        let immediate = try locks.withLock { state throws(TesseraError) -> (LockLease, UInt64)? in
            let now = wallClock()
            if state.waiters[name]?.isEmpty ?? true,
                let grant = state.table.tryAcquire(name: name, owner: owner, leaseId: leaseId, ttlMs: ttlMs, nowMs: now)
            {
                guard case .lockGrant(_, let lease) = grant else { preconditionFailure() }
                return (lease, try log([grant]))
            }
            if waitMs <= 0 { throw lockHeld(name, state.table, now) }
            return nil
        }
        if let (lease, lsn) = immediate {
            try await awaitDurable(lsn)
            return lease
        }
        do {
            let (lease, lsn) = try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<(LockLease, UInt64), any Error>) in
                locks.withLock { state in
                    state.nextWaiterID += 1
                    let waiter = LockState.Waiter(
                        id: state.nextWaiterID, owner: owner, leaseId: leaseId, ttlMs: ttlMs,
                        deadlineMs: wallClock() + waitMs, continuation: continuation)
                    state.waiters[name, default: []].append(waiter)
                }
                // The lock may have been freed between the first check and the enqueue.
                serveWaiters(names: [name])
            }
            try await awaitDurable(lsn)
            return lease
        } catch let error as TesseraError {
            throw error
        } catch {
            throw TesseraError(.unavailable, "\(error)")
        }
    }

    /// Extends a live lease.
    public func renewLock(name: String, leaseId: String, ttlMs: Int64) async throws(TesseraError) -> LockLease {
        let (mutation, lsn) = try locks.withLock { state throws(TesseraError) -> (Mutation, UInt64) in
            let mutation = try state.table.renew(name: name, leaseId: leaseId, ttlMs: ttlMs, nowMs: wallClock())
            return (mutation, try log([mutation]))
        }
        try await awaitDurable(lsn)
        guard case .lockGrant(_, let lease) = mutation else { preconditionFailure() }
        return lease
    }

    /// Releases a live lease and hands the lock to the next waiter.
    public func releaseLock(name: String, leaseId: String) async throws(TesseraError) {
        let lsn = try locks.withLock { state throws(TesseraError) -> UInt64 in
            let mutation = try state.table.release(name: name, leaseId: leaseId, nowMs: wallClock())
            return try log([mutation])
        }
        serveWaiters(names: [name])
        try await awaitDurable(lsn)
    }

    /// Throws `fenced` when `token` is older than the newest token granted for the lock.
    public func checkFence(name: String, token: UInt64) throws(TesseraError) {
        try locks.withLock { state throws(TesseraError) in try state.table.checkFence(name: name, token: token) }
    }

    /// The live holder of a lock.
    public func lockHolder(name: String) -> LockLease? {
        locks.withLock { $0.table.holder(of: name, nowMs: wallClock()) }
    }

    /// Number of locks held now.
    public var locksHeld: Int { locks.withLock { $0.table.heldCount(nowMs: wallClock()) } }

    /// Frees expired leases, times out waiters, and grants freed locks to waiters.
    func expireLocks() {
        let now = wallClock()
        var timedOut: [(CheckedContinuation<(LockLease, UInt64), any Error>, TesseraError)] = []
        let names = locks.withLock { state -> [String] in
            var names: [String] = []
            for (name, mutation) in state.table.expire(nowMs: now) {
                _ = try? log([mutation])
                names.append(name)
            }
            for (name, queue) in state.waiters {
                var kept = Deque<LockState.Waiter>()
                for waiter in queue {
                    if waiter.deadlineMs <= now {
                        timedOut.append((waiter.continuation, lockHeld(name, state.table, now)))
                    } else {
                        kept.append(waiter)
                    }
                }
                state.waiters[name] = kept.isEmpty ? nil : kept
                if !kept.isEmpty { names.append(name) }
            }
            return names
        }
        for (continuation, error) in timedOut { continuation.resume(throwing: error) }
        serveWaiters(names: names)
    }

    /// Grants free locks to the first waiter in line.
    func serveWaiters(names: [String]) {
        var granted: [(CheckedContinuation<(LockLease, UInt64), any Error>, Result<(LockLease, UInt64), any Error>)] =
            []
        locks.withLock { state in
            let now = wallClock()
            for name in names {
                guard var queue = state.waiters[name], let waiter = queue.first else { continue }
                guard
                    let grant = state.table.tryAcquire(
                        name: name, owner: waiter.owner, leaseId: waiter.leaseId, ttlMs: waiter.ttlMs, nowMs: now),
                    case .lockGrant(_, let lease) = grant
                else { continue }
                queue.removeFirst()
                state.waiters[name] = queue.isEmpty ? nil : queue
                do {
                    granted.append((waiter.continuation, .success((lease, try log([grant])))))
                } catch {
                    granted.append((waiter.continuation, .failure(error)))
                }
            }
        }
        for (continuation, result) in granted { continuation.resume(with: result) }
    }

    private func lockHeld(_ name: String, _ table: LockTable, _ now: Int64) -> TesseraError {
        var details: [String: TesseraError.DetailValue] = [:]
        if let holder = table.holder(of: name, nowMs: now) {
            details["owner"] = .string(holder.owner)
            details["expiresAtMs"] = .int(holder.expiresAtMs)
        }
        return TesseraError(.lockHeld, "lock \(name) is held", details: details)
    }
}
