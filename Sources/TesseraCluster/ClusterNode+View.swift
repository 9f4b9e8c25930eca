import GRPCCore
import TesseraCore
import TesseraStorage

/// One member as `GET /v1/cluster` shows it.
public struct MemberView: Sendable {
    /// The node id.
    public var id: String
    /// Its client address.
    public var address: String
    /// Its node-to-node address.
    public var peerAddress: String
    /// Its region.
    public var region: String
    /// up, suspect, down, joining or leaving.
    public var state: String
    /// Keys it holds.
    public var keys: Int
    /// Bytes of keys and values it holds.
    public var storageBytes: Int
    /// Rebalancing: partition transfers to run, done, and items moved.
    public var streamsTotal: Int
    /// Transfers done.
    public var streamsDone: Int
    /// Items moved.
    public var streamedItems: Int
}

extension ClusterNode {
    /// Members (except those that left) with the state this node observes.
    public func members() -> [MemberView] {
        membership.view(nowMs: nowMs).map { record, state in
            MemberView(
                id: record.id, address: record.address, peerAddress: record.peerAddress, region: record.region,
                state: state, keys: record.keys, storageBytes: record.storageBytes, streamsTotal: record.streamsTotal,
                streamsDone: record.streamsDone, streamedItems: record.streamedItems)
        }
    }

    /// Hints waiting for delivery.
    public var pendingHints: Int { hints.count }

    /// The counters of the cluster layer.
    public var stats: ClusterCounters { counters.withLock { $0 } }

    /// Decommissions `id`: this node itself, or another member asked over the node-to-node transport.
    public func decommission(_ id: String) async throws(TesseraError) {
        if id == nodeID {
            guard beginLeave() else {
                throw TesseraError(.conflict, "node \(id) cannot leave: it is the last member, or not up")
            }
            return
        }
        guard let member = membership.record(id), member.status != .left else {
            throw TesseraError(.notFound, "node \(id) is not a member")
        }
        // A node that is down cannot hand its data off: it is removed, and anti-entropy re-creates its copies
        // on the new owners from the surviving replicas.
        if !membership.isAlive(id, nowMs: nowMs) {
            guard membership.removeDead(id, nowMs: nowMs) else {
                throw TesseraError(.conflict, "node \(id) could not be removed")
            }
            logger.warning("node \(id) is down and was removed from the cluster without a handoff")
            await gossipRound()
            return
        }
        do {
            let client = try peers.client(member.peerAddress)
            var request = Tessera_Peer_V1_LeaveRequest()
            request.node = id
            let response = try await client.leave(request, options: callOptions(timeoutMs: config.replicaTimeoutMs))
            guard response.accepted else {
                throw TesseraError(.conflict, "node \(id) cannot leave: it is the last member, or not up")
            }
        } catch let error as TesseraError {
            throw error
        } catch {
            throw TesseraError(.unavailable, "node \(id) did not answer: \(error)")
        }
    }
}
