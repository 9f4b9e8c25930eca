import GRPCCore
import TesseraCore
import TesseraStorage

extension ClusterNode {
    /// The partition's first live replica, which serializes conditional writes (and, when the HTTP layer
    /// forwards them, transactions): nil when none is reachable.
    public func primary(keyspace: String, key: String) -> String? {
        guard let placement = try? placement(keyspace: keyspace, key: key) else { return nil }
        let now = nowMs
        return placement.read.first { membership.isAlive($0, nowMs: now) }
    }

    /// The node that holds a lock: the first live replica of the lock name's partition in the `default`
    /// keyspace's placement; nil when the cluster is this node alone.
    public func lockHome(_ name: String) -> String? {
        let placement = placement(keyspace: "default", partition: engine.partitioner.partition(of: name))
        if isLocalOnly(placement) { return nil }
        let now = nowMs
        return placement.read.first { membership.isAlive($0, nowMs: now) }
    }

    /// Whether every partition of the keyspace lives on this node alone (single-node cluster).
    public func isLocalKeyspace(_ keyspace: String) -> Bool {
        fanoutPlacements(keyspace: keyspace, partitions: Array(0..<engine.partitioner.count)).allSatisfy(isLocalOnly)
    }

    /// For each node, the partitions of the keyspace it is the first live replica of: where a merged change
    /// stream reads each partition's events.
    public func feedSources(keyspace: String) -> [String: [Int]] {
        var sources: [String: Set<Int>] = [:]
        let now = nowMs
        for placement in fanoutPlacements(keyspace: keyspace, partitions: Array(0..<engine.partitioner.count)) {
            if let first = placement.read.first(where: { membership.isAlive($0, nowMs: now) }) {
                sources[first, default: []].insert(placement.partition)
            }
        }
        return sources.mapValues { $0.sorted() }
    }

    /// Whether the partitions live on this node alone (single-node cluster).
    public func isLocal(keyspace: String, partitions: [Int]) -> Bool {
        fanoutPlacements(keyspace: keyspace, partitions: partitions).allSatisfy(isLocalOnly)
    }

    /// The replicas that answer index queries over `partitions`, grouped by node: for each partition (and
    /// region, for region-pinned keyspaces) this node when it holds it, else the first live replica.
    public func queryTargets(keyspace: String, partitions: [Int]) throws(TesseraError) -> [String: [Int]] {
        var targets: [String: Set<Int>] = [:]
        let now = nowMs
        for placement in fanoutPlacements(keyspace: keyspace, partitions: partitions) {
            let node =
                placement.read.contains(nodeID)
                ? nodeID : placement.read.first { membership.isAlive($0, nowMs: now) }
            guard let node else {
                throw TesseraError(.unavailable, "no replica of partition \(placement.partition) is reachable")
            }
            targets[node, default: []].insert(placement.partition)
        }
        return targets.mapValues { $0.sorted() }
    }

    /// Whether the partition of `key` lives on this node alone (single-node cluster).
    public func isLocal(keyspace: String, key: String) -> Bool {
        (try? placement(keyspace: keyspace, key: key)).map(isLocalOnly) ?? false
    }

    /// Brings this node's copy of `keys` up to date (a read at `consistency` from the live replicas), so that a
    /// primary's local decision sees the newest acknowledged writes.
    public func refresh(keyspace: String, keys: [String], consistency: ReadWriteConsistency) async throws(TesseraError)
    {
        for key in keys {
            let placement = try placement(keyspace: keyspace, key: key)
            if isLocalOnly(placement) { continue }
            guard
                let newest = try await readNewest(
                    keyspace: keyspace, key: key, placement: placement, consistency: consistency)
            else { continue }
            let local = try await engine.readReplica(keyspace: keyspace, key: key)
            if local.map({ $0.version < newest.version }) ?? true { _ = try await engine.applyReplica([newest]) }
        }
    }

    /// Sends this node's copy of `keys` (after a local write as their primary) to the other replicas, waiting
    /// for the consistency's acknowledgements (this node counts as one).
    public func replicateLocal(keyspace: String, keys: [String], consistency: ReadWriteConsistency)
        async throws(TesseraError)
    {
        for key in Set(keys) {
            let placement = try placement(keyspace: keyspace, key: key)
            if isLocalOnly(placement) { continue }
            guard let record = try await engine.readReplica(keyspace: keyspace, key: key) else { continue }
            _ = try await replicate(
                record, placement: placement, consistency: consistency, alreadyAcknowledged: [nodeID])
        }
    }

    /// Checks a fencing token at the lock's home node.
    public func checkFence(_ fence: Fence) async throws(TesseraError) {
        guard let home = lockHome(fence.lock), home != nodeID else {
            try engine.checkFence(name: fence.lock, token: fence.token)
            return
        }
        let answer = try await forward(
            to: home, operation: "lock.fence", keyspace: "", name: fence.lock, body: [],
            headers: ["token": String(fence.token)])
        if answer.status >= 300 { throw Self.decodeError(answer) }
    }

    /// Throws 503 `unavailable` when fewer replicas of the key's partition are reachable than `consistency`
    /// needs: checked before a primary commits locally, so that a refused request has written nothing.
    public func requireReachable(keyspace: String, key: String, consistency: ReadWriteConsistency)
        throws(TesseraError)
    {
        let placement = try placement(keyspace: keyspace, key: key)
        if isLocalOnly(placement) { return }
        let required = consistency.required(of: placement.read.count) + placement.pending.count
        let now = nowMs
        let alive = placement.write.filter { membership.isAlive($0, nowMs: now) }.count
        guard alive >= required else {
            counters.withLock { $0.unavailable += 1 }
            throw TesseraError(
                .unavailable, "\(consistency.rawValue) needs \(required) reachable replicas of \(key); \(alive) are")
        }
    }

    /// A write with a condition or fence: run by the partition's first live replica, which first brings its
    /// copy of the key up to date (a read at the request's consistency that repairs it), then checks and
    /// writes locally, then replicates the result.
    public func conditionalPut(
        keyspace: String, key: String, value: [UInt8]?, contentType: String, ttlMs: Int64?,
        condition: WriteCondition, fence: Fence?, consistency: ReadWriteConsistency, forwarded: Bool = false
    ) async throws(TesseraError) -> PutResult? {
        try checkKeyspace(keyspace)
        let consistency = effectiveConsistency(keyspace, consistency)
        let placement = try placement(keyspace: keyspace, key: key)
        if isLocalOnly(placement) { return try await local(fence: fence) }
        // The fence is checked where the lock lives (just before the write: a lease granted in between is not
        // seen, which strong keyspaces will close); the primary then writes without it.
        if let fence { try await checkFence(fence) }
        guard let primary = primary(keyspace: keyspace, key: key) else {
            throw TesseraError(.unavailable, "no replica of \(keyspace)/\(key) is reachable")
        }
        guard primary == nodeID else {
            // One hop only: nodes whose views of the ring differ for a moment must not bounce a request.
            if forwarded {
                throw TesseraError(.unavailable, "node \(nodeID) is not the first live replica of \(key); retry")
            }
            return try await forwardConditional(
                to: primary, keyspace: keyspace, key: key, value: value, contentType: contentType, ttlMs: ttlMs,
                condition: condition, fence: nil, consistency: consistency)
        }
        try requireReachable(keyspace: keyspace, key: key, consistency: consistency)
        if let newest = try await readNewest(
            keyspace: keyspace, key: key, placement: placement, consistency: consistency),
            try await engine.readReplica(keyspace: keyspace, key: key).map({ $0.version < newest.version }) ?? true
        {
            _ = try await engine.applyReplica([newest])
        }
        let result = try await local(fence: nil)
        guard let record = try await engine.readReplica(keyspace: keyspace, key: key) else { return result }
        _ = try await replicate(record, placement: placement, consistency: consistency, alreadyAcknowledged: [nodeID])
        return result

        func local(fence: Fence?) async throws(TesseraError) -> PutResult? {
            if let value {
                return try await engine.put(
                    keyspace: keyspace, key: key, value: value, contentType: contentType, ttlMs: ttlMs,
                    condition: condition, fence: fence)
            }
            try await engine.delete(keyspace: keyspace, key: key, condition: condition, fence: fence)
            return nil
        }
    }

    private func forwardConditional(
        to primary: String, keyspace: String, key: String, value: [UInt8]?, contentType: String, ttlMs: Int64?,
        condition: WriteCondition, fence: Fence?, consistency: ReadWriteConsistency
    ) async throws(TesseraError) -> PutResult? {
        var headers = ["consistency": consistency.rawValue, "contentType": contentType]
        if let ttlMs { headers["ttlMs"] = String(ttlMs) }
        switch condition {
        case .none: break
        case .ifAbsent: headers["ifAbsent"] = "1"
        case .ifMatch(let version): headers["ifMatch"] = version
        }
        if let fence { headers["fence"] = "\(fence.lock):\(fence.token)" }
        let answer = try await forward(
            to: primary, operation: value == nil ? "kv.delete" : "kv.put", keyspace: keyspace, name: key,
            body: value ?? [], headers: headers)
        if answer.status >= 300 { throw Self.decodeError(answer) }
        guard value != nil else { return nil }
        guard let version = answer.headers["version"].flatMap({ Version($0) }) else {
            throw TesseraError(.internal, "the primary answered without a version")
        }
        return PutResult(created: answer.headers["created"] == "1", version: version)
    }

    /// Sends a request to another node's HTTP layer through the node-to-node transport.
    public func forward(
        to node: String, operation: String, keyspace: String, name: String, body: [UInt8], headers: [String: String]
    ) async throws(TesseraError) -> (status: Int, body: [UInt8], headers: [String: String]) {
        guard let member = membership.record(node) else { throw TesseraError(.unavailable, "unknown node \(node)") }
        do {
            let client = try peers.client(member.peerAddress)
            var request = Tessera_Peer_V1_ForwardRequest()
            request.operation = operation
            request.keyspace = keyspace
            request.name = name
            request.body = .init(body)
            request.headers = headers
            let response = try await client.forward(
                request, options: callOptions(timeoutMs: config.replicaTimeoutMs * 2))
            return (Int(response.status), [UInt8](response.body), response.headers)
        } catch {
            throw TesseraError(.unavailable, "forwarding to \(node) failed: \(error)")
        }
    }

    /// Answers a forwarded request: conditional writes here, everything else in the HTTP layer.
    func handleForward(
        operation: String, keyspace: String, name: String, body: [UInt8], headers: [String: String]
    ) async -> (status: Int, body: [UInt8], headers: [String: String]) {
        switch operation {
        case "lock.fence":
            do {
                try engine.checkFence(name: name, token: UInt64(headers["token"] ?? "") ?? 0)
                return (200, [], [:])
            } catch {
                return Self.encodeError(error)
            }
        case "kv.put", "kv.delete":
            let consistency = headers["consistency"].flatMap(ReadWriteConsistency.init) ?? .quorum
            var condition = WriteCondition.none
            if headers["ifAbsent"] == "1" { condition = .ifAbsent }
            if let version = headers["ifMatch"] { condition = .ifMatch(version) }
            var fence: Fence?
            if let text = headers["fence"], let colon = text.lastIndex(of: ":"),
                let token = UInt64(text[text.index(after: colon)...])
            {
                fence = Fence(lock: String(text[..<colon]), token: token)
            }
            do {
                let result = try await conditionalPut(
                    keyspace: keyspace, key: name, value: operation == "kv.put" ? body : nil,
                    contentType: headers["contentType"] ?? ContentTypes.octetStream,
                    ttlMs: headers["ttlMs"].flatMap { Int64($0) }, condition: condition, fence: fence,
                    consistency: consistency, forwarded: true)
                var out: [String: String] = [:]
                if let result {
                    out["version"] = result.version.description
                    out["created"] = result.created ? "1" : "0"
                }
                return (200, [], out)
            } catch {
                return Self.encodeError(error)
            }
        default:
            guard let hooks else { return Self.encodeError(TesseraError(.unavailable, "node is starting")) }
            return await hooks.forward(
                operation: operation, keyspace: keyspace, name: name, body: body, headers: headers)
        }
    }

    /// An error as a forwarded answer.
    public static func encodeError(_ error: TesseraError) -> (status: Int, body: [UInt8], headers: [String: String]) {
        var headers = ["code": error.code.rawValue, "message": error.message]
        if case .string(let version)? = error.details["version"] { headers["version"] = version }
        return (error.code.httpStatus, [], headers)
    }

    /// The error a forwarded answer carries.
    public static func decodeError(_ answer: (status: Int, body: [UInt8], headers: [String: String])) -> TesseraError {
        let code = answer.headers["code"].flatMap(ErrorCode.init(rawValue:)) ?? .internal
        var error = TesseraError(code, answer.headers["message"] ?? "the primary refused")
        if let version = answer.headers["version"] { error.details["version"] = .string(version) }
        return error
    }
}
