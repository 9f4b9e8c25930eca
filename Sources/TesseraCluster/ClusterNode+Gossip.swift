import AsyncHTTPClient
import Foundation
import GRPCCore
import NIOCore
import TesseraCore
import TesseraStorage

extension ClusterNode {
    /// Every `gossipIntervalMs`, exchanges records with every peer (full mesh: each peer hears from every other
    /// directly, which is also the heartbeat its failure detector feeds on).
    func gossipLoop() async {
        var rounds = 0
        while !Task.isCancelled {
            refreshLoad(rounds: rounds)
            await gossipRound()
            if membership.takeDirty() {
                do { try persist() } catch { logger.error("saving cluster state failed: \(error)") }
            }
            rounds += 1
            try? await Task.sleep(for: .milliseconds(config.gossipIntervalMs))
        }
    }

    private func refreshLoad(rounds: Int) {
        guard rounds % 10 == 0 else { return }
        let keys = engine.keyCounts().values.reduce(0, +)
        let bytes = engine.memoryBytes
        let record = membership.selfRecord
        if record.keys != keys || record.storageBytes != bytes {
            membership.updateSelf(nowMs: nowMs) {
                $0.keys = keys
                $0.storageBytes = bytes
            }
        }
    }

    /// One exchange with every peer, in parallel.
    func gossipRound() async {
        let targets = membership.peers()
        await withTaskGroup(of: Void.self) { group in
            for peer in targets { group.addTask { await self.gossip(with: peer.id, at: peer.peerAddress) } }
        }
    }

    func gossipRequest() -> Tessera_Peer_V1_GossipRequest {
        let (members, keyspaces) = membership.gossipPayload()
        var request = Tessera_Peer_V1_GossipRequest()
        request.from = nodeID
        request.partitions = UInt32(engine.partitioner.count)
        request.members = members.map(\.proto)
        request.keyspaces = keyspaces.map(\.proto)
        return request
    }

    func gossip(with peer: String?, at address: String) async {
        do {
            let client = try peers.client(address)
            let response = try await client.gossip(
                gossipRequest(), options: callOptions(timeoutMs: max(500, config.gossipIntervalMs * 4)))
            if let peer { membership.heartbeat(from: peer, nowMs: nowMs) }
            await absorb(
                members: response.members.map(MemberRecord.init), keyspaces: response.keyspaces.map(KeyspaceEntry.init),
                from: peer)
        } catch {
            logger.trace("gossip with \(address) failed: \(error)")
        }
    }

    /// Merges what a peer said and applies newer keyspace definitions to local storage.
    func absorb(members: [MemberRecord], keyspaces: [KeyspaceEntry], from peer: String?) async {
        let newer = membership.merge(members: members, keyspaces: keyspaces, from: peer, nowMs: nowMs)
        if membership.wasRemoved { stopRemoved() }
        guard let hooks, !newer.isEmpty else { return }
        for entry in newer {
            do {
                if entry.dropped {
                    if engine.keyspace(entry.name) != nil { try await hooks.dropKeyspace(name: entry.name) }
                } else {
                    try await hooks.applyKeyspace(name: entry.name, config: entry.config)
                }
            } catch {
                logger.error("applying keyspace \(entry.name) from gossip failed: \(error)")
            }
        }
    }

    /// Another node removed this one while it was down: record it and stop, rather than serve stale data.
    func stopRemoved() {
        let first = leaving.withLock { started in
            defer { started = true }
            return !started
        }
        guard first else { return }
        logger.critical("node \(nodeID) was removed from the cluster while it was down; stopping")
        membership.updateSelf(nowMs: nowMs) { $0.status = .left }
        try? persist()
        hooks?.leftCluster()
    }

    /// Records a keyspace change made here and pushes it to every live peer before returning, so that the next
    /// request, on any node, finds it.
    public func announceKeyspace(name: String, config: [UInt8]?, dropped: Bool) async {
        let entry = KeyspaceEntry(
            name: name, config: config ?? [], version: engine.newVersion().timestamp.rawValue, dropped: dropped)
        membership.setKeyspace(entry)
        await gossipRound()
    }

    /// Asks the seeds (client addresses) for the members they know, then gossips with them.
    func contactSeeds() async {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        for seed in config.join {
            do {
                var request = HTTPClientRequest(url: "http://\(seed)/v1/cluster")
                request.method = .GET
                let response = try await http.execute(request, timeout: .seconds(3))
                let body = try await response.body.collect(upTo: 16 << 20)
                let json = try JSONParser.parse(Array(body.readableBytesView))
                guard case .object(let root) = json, case .array(let nodes)? = root["nodes"] else { continue }
                for case .object(let node) in nodes {
                    guard case .string(let peerAddress)? = node["peerAddress"], case .string(let id)? = node["id"],
                        id != nodeID
                    else { continue }
                    await gossip(with: id, at: peerAddress)
                }
                break
            } catch {
                logger.warning("seed \(seed) did not answer: \(error)")
            }
        }
        try? await http.shutdown()
    }

    /// Waits until every live peer reports this node's newest record (or `timeoutMs` passes).
    func awaitSelfKnown(timeoutMs: Int) async {
        let deadline = nowMs + Int64(timeoutMs)
        while !Task.isCancelled && nowMs < deadline {
            await gossipRound()
            if membership.selfChangeKnown(nowMs: nowMs) { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}
