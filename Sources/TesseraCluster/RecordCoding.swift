import Foundation
import TesseraCore
import TesseraStorage

extension ReplicaRecord {
    init(_ proto: Tessera_Peer_V1_ItemRecord) {
        let version = Version(
            timestamp: HybridTimestamp(rawValue: proto.versionTs), node: UInt16(truncatingIfNeeded: proto.versionNode))
        let item =
            proto.tombstone
            ? nil
            : StoredItem(
                value: [UInt8](proto.value), contentType: proto.contentType, version: version,
                expiresAtMs: proto.expiresAtMs)
        self.init(keyspace: proto.keyspace, key: proto.key, version: version, item: item)
    }

    var proto: Tessera_Peer_V1_ItemRecord {
        var out = Tessera_Peer_V1_ItemRecord()
        out.keyspace = keyspace
        out.key = key
        out.versionTs = version.timestamp.rawValue
        out.versionNode = UInt32(version.node)
        if let item {
            out.value = Data(item.value)
            out.contentType = item.contentType
            out.expiresAtMs = item.expiresAtMs
        } else {
            out.tombstone = true
        }
        return out
    }
}
