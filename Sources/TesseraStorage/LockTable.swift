import TesseraCore

/// The state of every lock: holders and the last fencing token granted. Pure: time is passed in, and each
/// decision returns the mutation to log.
public struct LockTable: Sendable {
    struct Entry: Sendable {
        var holder: LockLease?
        var lastToken: UInt64
    }

    private(set) var entries: [String: Entry] = [:]

    /// Creates an empty table.
    public init() {}

    /// The live holder of `name` at `nowMs`.
    public func holder(of name: String, nowMs: Int64) -> LockLease? {
        guard let lease = entries[name]?.holder, lease.expiresAtMs > nowMs else { return nil }
        return lease
    }

    /// The newest fencing token granted for `name` (0 when never granted).
    public func lastToken(of name: String) -> UInt64 { entries[name]?.lastToken ?? 0 }

    /// Number of locks held at `nowMs`.
    public func heldCount(nowMs: Int64) -> Int {
        entries.values.reduce(0) { $0 + (($1.holder?.expiresAtMs ?? 0) > nowMs ? 1 : 0) }
    }

    /// Grants `name` to a new lease when it is free at `nowMs`; returns the grant, or nil when held.
    public mutating func tryAcquire(name: String, owner: String, leaseId: String, ttlMs: Int64, nowMs: Int64)
        -> Mutation?
    {
        if holder(of: name, nowMs: nowMs) != nil { return nil }
        let token = lastToken(of: name) + 1
        let lease = LockLease(leaseId: leaseId, owner: owner, fencingToken: token, expiresAtMs: nowMs + ttlMs)
        let mutation = Mutation.lockGrant(name: name, lease: lease)
        apply(mutation)
        return mutation
    }

    /// Extends a live lease; throws `lease_not_found` when it is not the live holder.
    public mutating func renew(name: String, leaseId: String, ttlMs: Int64, nowMs: Int64) throws(TesseraError)
        -> Mutation
    {
        guard var lease = holder(of: name, nowMs: nowMs), lease.leaseId == leaseId else {
            throw TesseraError(.leaseNotFound, "no live lease \(leaseId) on lock \(name)")
        }
        lease.expiresAtMs = nowMs + ttlMs
        let mutation = Mutation.lockGrant(name: name, lease: lease)
        apply(mutation)
        return mutation
    }

    /// Releases a live lease; throws `lease_not_found` when it is not the live holder.
    public mutating func release(name: String, leaseId: String, nowMs: Int64) throws(TesseraError) -> Mutation {
        guard let lease = holder(of: name, nowMs: nowMs), lease.leaseId == leaseId else {
            throw TesseraError(.leaseNotFound, "no live lease \(leaseId) on lock \(name)")
        }
        let mutation = Mutation.lockFree(name: name, lastToken: lease.fencingToken)
        apply(mutation)
        return mutation
    }

    /// Frees every lease that has expired at `nowMs`; returns the names freed and the mutations to log.
    public mutating func expire(nowMs: Int64) -> [(name: String, mutation: Mutation)] {
        var freed: [(String, Mutation)] = []
        for (name, entry) in entries {
            if let holder = entry.holder, holder.expiresAtMs <= nowMs {
                let mutation = Mutation.lockFree(name: name, lastToken: entry.lastToken)
                freed.append((name, mutation))
            }
        }
        for (_, mutation) in freed { apply(mutation) }
        return freed
    }

    /// The earliest expiry of any held lease.
    public var nextExpiryMs: Int64? {
        entries.values.compactMap { $0.holder?.expiresAtMs }.min()
    }

    /// Checks a `Tessera-Fence` token: throws `fenced` when a newer token was granted, and a 400 when this
    /// token was never granted.
    public func checkFence(name: String, token: UInt64) throws(TesseraError) {
        let last = lastToken(of: name)
        if token < last {
            throw TesseraError(
                .fenced, "fencing token \(token) of lock \(name) is stale: token \(last) has been granted",
                details: ["currentToken": .int(Int64(last))])
        }
        if last == 0 || token > last {
            throw .badRequest("fencing token \(token) was never granted for lock \(name)")
        }
    }

    /// Applies a logged lock mutation (also at recovery). Tokens never go backwards.
    public mutating func apply(_ mutation: Mutation) {
        switch mutation {
        case .lockGrant(let name, let lease):
            let last = max(entries[name]?.lastToken ?? 0, lease.fencingToken)
            entries[name] = Entry(holder: lease, lastToken: last)
        case .lockFree(let name, let token):
            let last = max(entries[name]?.lastToken ?? 0, token)
            entries[name] = Entry(holder: nil, lastToken: last)
        default:
            break
        }
    }
}
