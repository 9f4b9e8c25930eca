import Foundation

/// When the log forces writes to stable storage.
public enum SyncPolicy: Sendable, Equatable {
    /// fsync before acknowledging (group commit): nothing acknowledged is lost by a crash of the machine.
    case always
    /// Acknowledge once written to the OS, fsync every interval: a process crash loses nothing, a machine
    /// crash loses up to one interval of acknowledged writes.
    case interval(milliseconds: Int)
}

/// The append-only, CRC-checked log with group commit: appenders add frames under a short lock, one
/// committer thread writes everything pending with one write and one fsync, then wakes every waiter whose
/// frame that covered. Many concurrent writes therefore share one fsync.
final class WriteAheadLog: @unchecked Sendable {
    typealias Committed = [(lsn: UInt64, mutation: Mutation)]

    private let directory: String
    private let policy: SyncPolicy
    private let onDurable: @Sendable (Committed) -> Void
    private let onFailure: @Sendable (StorageError) -> Void
    private let condition = NSCondition()

    // Guarded by `condition`.
    private var nextLSN: UInt64
    private var pending: [UInt8] = []
    private var pendingCommitted: Committed = []
    private var rotation: (byteOffset: Int, entryIndex: Int, lsn: UInt64)?
    private var durableLSN: UInt64
    private var waiters: [(lsn: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var stopping = false
    private var stopped = false
    private var failure: StorageError?
    private var bytesSinceRotation = 0
    private var pendingFrames = 0
    /// Pending frames at which an append wakes the committer (guarded by `condition`).
    private var wakeThreshold = 1
    /// The LSN at which the newest segment starts (guarded by `condition`).
    private var rotatedAt: UInt64 = 0

    // Owned by the committer thread.
    private var fd: Int32
    private var segmentPath: String
    private var lastSync = DispatchTime.now()
    private var unsynced = false
    private var lastBatchFrames = 0
    private var syncNanosAverage = 0.0

    /// Opens the log for appending at `segmentPath`, continuing with `nextLSN`.
    init(
        directory: String, segmentPath: String, nextLSN: UInt64, policy: SyncPolicy,
        onDurable: @escaping @Sendable (Committed) -> Void, onFailure: @escaping @Sendable (StorageError) -> Void
    ) throws {
        self.onFailure = onFailure
        self.directory = directory
        self.policy = policy
        self.onDurable = onDurable
        self.nextLSN = nextLSN
        self.durableLSN = nextLSN - 1
        self.segmentPath = segmentPath
        self.fd = try FileIO.openAppend(segmentPath)
        try FileIO.syncDirectory(directory)
        let thread = Thread { [self] in self.run() }
        thread.name = "tessera-log"
        thread.start()
    }

    /// The name of the segment whose first record has LSN at least `lsn`.
    static func segmentName(firstLSN lsn: UInt64) -> String {
        let digits = String(lsn)
        return "log-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".seg"
    }

    /// The LSN the next mutation will get.
    var peekNextLSN: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return nextLSN
    }

    /// Bytes appended since the last rotation (drives snapshots).
    var bytesSinceLastRotation: Int {
        condition.lock()
        defer { condition.unlock() }
        return bytesSinceRotation
    }

    /// Appends `mutations` as one atomic frame and returns the LSN of the last one. Call it while holding the
    /// lock that ordered these mutations, so that the log's order is the order they were applied in.
    func append(_ mutations: [Mutation]) throws(StorageError) -> UInt64 {
        precondition(!mutations.isEmpty)
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        guard !stopping else { throw StorageError("the log is closed") }
        let first = nextLSN
        let frame = LogFrame.encode(firstLSN: first, mutations: mutations)
        // Recovery refuses larger frames; the request limits keep writes far below this.
        guard frame.count - LogFrame.headerBytes <= LogFrame.payloadBytesMax else {
            throw StorageError("a frame of \(frame.count) bytes exceeds the log's limit")
        }
        pending.append(contentsOf: frame)
        for (i, mutation) in mutations.enumerated() {
            pendingCommitted.append((first + UInt64(i), mutation))
        }
        nextLSN += UInt64(mutations.count)
        bytesSinceRotation += frame.count
        pendingFrames += 1
        // Wake the committer only when it has something to do: the first frame while it idles, or the frame
        // that completes the cohort it is gathering. Waking it on every append costs a context switch each.
        if pendingFrames >= wakeThreshold { condition.broadcast() }
        return nextLSN - 1
    }

    /// Whether the mutation with `lsn` is already durable.
    func isDurable(_ lsn: UInt64) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return durableLSN >= lsn
    }

    /// Returns once the mutation with `lsn` is durable (per the sync policy), or throws if the log failed.
    func waitDurable(_ lsn: UInt64) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            condition.lock()
            if let failure {
                condition.unlock()
                continuation.resume(throwing: failure)
            } else if durableLSN >= lsn {
                condition.unlock()
                continuation.resume()
            } else {
                waiters.append((lsn, continuation))
                condition.unlock()
            }
        }
    }

    /// Starts a new segment and returns once it is open and the old one is synced: every LSN below the
    /// returned one then lives, durably, in older segments, which a snapshot covering them may delete.
    func rotate() throws(StorageError) -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        while rotation != nil && failure == nil { condition.wait() }
        let lsn = nextLSN
        rotation = (pending.count, pendingCommitted.count, lsn)
        bytesSinceRotation = 0
        condition.broadcast()
        while rotatedAt < lsn && failure == nil && !stopped { condition.wait() }
        if let failure { throw failure }
        return lsn
    }

    /// Writes what is pending, stops the committer thread and closes the file.
    func close() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            wakeThreshold = 1
            while pending.isEmpty && rotation == nil && !stopping && !needsIntervalSync() {
                if case .interval(let ms) = policy, unsynced {
                    _ = condition.wait(until: Date(timeIntervalSinceNow: Double(ms) / 1000))
                } else {
                    condition.wait()
                }
            }
            gatherCohort()
            let frames = pendingFrames
            pendingFrames = 0
            // While writing and syncing, appends need not wake us: we look at `pending` before waiting again.
            wakeThreshold = Int.max
            let bytes = pending
            let committed = pendingCommitted
            let split = rotation
            let lastLSN = nextLSN - 1
            let finishing = stopping && pending.isEmpty
            pending = []
            pendingCommitted = []
            rotation = nil
            condition.unlock()

            lastBatchFrames = frames
            let syncStart = DispatchTime.now()
            do {
                try writeBatch(bytes, split: split)
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - syncStart.uptimeNanoseconds)
                syncNanosAverage = syncNanosAverage == 0 ? elapsed : 0.8 * syncNanosAverage + 0.2 * elapsed
                if !committed.isEmpty { onDurable(committed) }
                if let split {
                    // Only now is every change below the rotation both durable and published to its feed,
                    // so a snapshot taken after rotate() returns sees all of it.
                    condition.lock()
                    rotatedAt = max(rotatedAt, split.lsn)
                    condition.broadcast()
                    condition.unlock()
                }
                finish(durable: lastLSN, error: nil)
            } catch let error as StorageError {
                finish(durable: lastLSN, error: error)
            } catch {
                finish(durable: lastLSN, error: StorageError("\(error)"))
            }
            if finishing {
                _ = try? FileIO.sync(fd, path: segmentPath)
                Glibc.close(fd)
                condition.lock()
                stopped = true
                condition.broadcast()
                condition.unlock()
                return
            }
        }
    }

    /// Group commit's cohort wait (like PostgreSQL's commit_delay, but adaptive): when the last batch carried
    /// several writers and fewer have arrived so far, wait a fraction of one fsync for the rest of that cohort.
    /// Writers acknowledged together come back together; without the wait, the first of them start an fsync
    /// alone and the others wait for two. Called with the lock held; single writers never wait.
    private func gatherCohort() {
        guard policy == .always, lastBatchFrames > 1, !stopping, rotation == nil else { return }
        let waitNanos = min(syncNanosAverage / 4, 2_000_000)
        guard waitNanos > 0 else { return }
        let deadline = Date(timeIntervalSinceNow: waitNanos / 1e9)
        wakeThreshold = lastBatchFrames
        defer { wakeThreshold = 1 }
        while pendingFrames < lastBatchFrames && !stopping && Date() < deadline {
            _ = condition.wait(until: deadline)
        }
    }

    private func needsIntervalSync() -> Bool {
        guard case .interval(let ms) = policy, unsynced else { return false }
        return DispatchTime.now().uptimeNanoseconds - lastSync.uptimeNanoseconds >= UInt64(ms) * 1_000_000
    }

    private func writeBatch(_ bytes: [UInt8], split: (byteOffset: Int, entryIndex: Int, lsn: UInt64)?) throws {
        try bytes.withUnsafeBytes { buffer in
            var rest = buffer
            if let split {
                try FileIO.writeAll(
                    fd, UnsafeRawBufferPointer(rebasing: buffer[..<split.byteOffset]), path: segmentPath)
                try FileIO.sync(fd, path: segmentPath)
                Glibc.close(fd)
                segmentPath = directory + "/" + WriteAheadLog.segmentName(firstLSN: split.lsn)
                fd = try FileIO.openAppend(segmentPath)
                try FileIO.syncDirectory(directory)
                rest = UnsafeRawBufferPointer(rebasing: buffer[split.byteOffset...])
            }
            if !rest.isEmpty {
                try FileIO.writeAll(fd, rest, path: segmentPath)
                unsynced = true
            }
        }
        switch policy {
        case .always:
            if unsynced { try FileIO.sync(fd, path: segmentPath) }
            unsynced = false
        case .interval:
            if needsIntervalSync() {
                try FileIO.sync(fd, path: segmentPath)
                unsynced = false
                lastSync = DispatchTime.now()
            }
        }
    }

    private func finish(durable lsn: UInt64, error: StorageError?) {
        condition.lock()
        var ready: [CheckedContinuation<Void, any Error>] = []
        if let error {
            failure = error
            ready = waiters.map(\.continuation)
            waiters = []
        } else {
            durableLSN = max(durableLSN, lsn)
            waiters.removeAll { waiter in
                if waiter.lsn <= lsn {
                    ready.append(waiter.continuation)
                    return true
                }
                return false
            }
        }
        condition.broadcast()
        condition.unlock()
        for continuation in ready {
            if let error { continuation.resume(throwing: error) } else { continuation.resume() }
        }
        if let error { onFailure(error) }
    }
}
