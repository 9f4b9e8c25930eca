import TesseraCore

/// A lock lease as stored: who holds a lock, with which fencing token, until when.
public struct LockLease: Sendable, Equatable {
    /// The lease's id, the holder's proof.
    public var leaseId: String
    /// The holder's self-description.
    public var owner: String
    /// The fencing token of this grant.
    public var fencingToken: UInt64
    /// When the lease ends (Unix ms).
    public var expiresAtMs: Int64

    /// Creates a lease.
    public init(leaseId: String, owner: String, fencingToken: UInt64, expiresAtMs: Int64) {
        self.leaseId = leaseId
        self.owner = owner
        self.fencingToken = fencingToken
        self.expiresAtMs = expiresAtMs
    }
}

/// Why a key disappeared.
public enum DeleteReason: UInt8, Sendable {
    case delete = 0
    case expire = 1
}

/// One logged change of state. Every mutation states its result absolutely (never "add one"), so replaying a
/// mutation over a state that already contains it is harmless: this is what lets snapshots be fuzzy.
public enum Mutation: Sendable, Equatable {
    case put(keyspace: String, key: String, item: StoredItem)
    case delete(keyspace: String, key: String, reason: DeleteReason, version: Version)
    case keyspacePut(KeyspaceConfig)
    case keyspaceDrop(name: String)
    case lockGrant(name: String, lease: LockLease)
    case lockFree(name: String, lastToken: UInt64)
    /// Snapshot only: where a keyspace's retained change history begins.
    case feedHorizon(keyspace: String, lsn: UInt64)
    /// Snapshot only: one retained change event, so change history survives restarts.
    case retainedChange(keyspace: String, event: ChangeEvent)

    private enum Tag: UInt8 {
        case put = 1
        case delete
        case keyspacePut
        case keyspaceDrop
        case lockGrant
        case lockFree
        case feedHorizon
        case retainedChange
    }

    /// An upper bound of the encoded size, for sizing frames.
    var encodedSizeEstimate: Int {
        switch self {
        case .put(let keyspace, let key, let item):
            64 + keyspace.utf8.count + key.utf8.count + item.contentType.utf8.count + item.value.count
        case .keyspacePut(let config): 128 + config.name.utf8.count + config.indexesJSON.utf8.count
        case .retainedChange(let keyspace, let event):
            64 + keyspace.utf8.count + event.key.utf8.count + (event.value?.count ?? 0)
                + (event.contentType?.utf8.count ?? 0)
        default: 512
        }
    }

    func encode(into w: inout BinaryWriter) {
        switch self {
        case .put(let keyspace, let key, let item):
            w.u8(Tag.put.rawValue)
            w.string(keyspace)
            w.string(key)
            w.version(item.version)
            w.i64(item.expiresAtMs)
            w.string(item.contentType)
            w.blob(item.value)
        case .delete(let keyspace, let key, let reason, let version):
            w.u8(Tag.delete.rawValue)
            w.string(keyspace)
            w.string(key)
            w.u8(reason.rawValue)
            w.version(version)
        case .keyspacePut(let config):
            w.u8(Tag.keyspacePut.rawValue)
            config.encode(into: &w)
        case .keyspaceDrop(let name):
            w.u8(Tag.keyspaceDrop.rawValue)
            w.string(name)
        case .lockGrant(let name, let lease):
            w.u8(Tag.lockGrant.rawValue)
            w.string(name)
            lease.encode(into: &w)
        case .lockFree(let name, let lastToken):
            w.u8(Tag.lockFree.rawValue)
            w.string(name)
            w.u64(lastToken)
        case .feedHorizon(let keyspace, let lsn):
            w.u8(Tag.feedHorizon.rawValue)
            w.string(keyspace)
            w.u64(lsn)
        case .retainedChange(let keyspace, let event):
            w.u8(Tag.retainedChange.rawValue)
            w.string(keyspace)
            w.u64(event.lsn)
            w.string(event.kind.rawValue)
            w.string(event.key)
            w.version(event.version)
            w.u8(event.value == nil ? 0 : 1)
            w.blob(event.value ?? [])
            w.string(event.contentType ?? "")
        }
    }

    static func decode(from r: inout BinaryReader) throws -> Mutation {
        guard let tag = Tag(rawValue: try r.u8()) else { throw BinaryReader.Truncated() }
        switch tag {
        case .put:
            let keyspace = try r.string()
            let key = try r.string()
            let version = try r.version()
            let expires = try r.i64()
            let contentType = try r.string()
            let value = try r.blob()
            return .put(
                keyspace: keyspace, key: key,
                item: StoredItem(value: value, contentType: contentType, version: version, expiresAtMs: expires))
        case .delete:
            let keyspace = try r.string()
            let key = try r.string()
            let reason = DeleteReason(rawValue: try r.u8()) ?? .delete
            return .delete(keyspace: keyspace, key: key, reason: reason, version: try r.version())
        case .keyspacePut:
            return .keyspacePut(try KeyspaceConfig.decode(from: &r))
        case .keyspaceDrop:
            return .keyspaceDrop(name: try r.string())
        case .lockGrant:
            let name = try r.string()
            return .lockGrant(name: name, lease: try LockLease.decode(from: &r))
        case .lockFree:
            let name = try r.string()
            return .lockFree(name: name, lastToken: try r.u64())
        case .feedHorizon:
            let keyspace = try r.string()
            return .feedHorizon(keyspace: keyspace, lsn: try r.u64())
        case .retainedChange:
            let keyspace = try r.string()
            let lsn = try r.u64()
            guard let kind = ChangeEvent.Kind(rawValue: try r.string()) else { throw BinaryReader.Truncated() }
            let key = try r.string()
            let version = try r.version()
            let hasValue = try r.u8() == 1
            let value = try r.blob()
            let contentType = try r.string()
            return .retainedChange(
                keyspace: keyspace,
                event: ChangeEvent(
                    lsn: lsn, kind: kind, key: key, version: version, value: hasValue ? value : nil,
                    contentType: hasValue ? contentType : nil))
        }
    }
}

extension KeyspaceConfig {
    func encode(into w: inout BinaryWriter) {
        w.string(name)
        w.string(consistency.rawValue)
        // The top bit of the replica count carries the region flag (older records never set it).
        w.u32(UInt32(replicas) | (regions ? 0x8000_0000 : 0))
        w.u64(UInt64(changeRetentionSeconds))
        w.string(encryptionMode)
        w.i64(createdAtMs)
        w.string(indexesJSON)
    }

    static func decode(from r: inout BinaryReader) throws -> KeyspaceConfig {
        let name = try r.string()
        let consistency = Consistency(rawValue: try r.string()) ?? .available
        let replicas = try r.u32()
        var config = KeyspaceConfig(
            name: name, consistency: consistency, replicas: Int(replicas & 0x7FFF_FFFF),
            changeRetentionSeconds: Int(try r.u64()), encryptionMode: try r.string(), createdAtMs: try r.i64(),
            indexesJSON: try r.string())
        config.regions = replicas & 0x8000_0000 != 0
        return config
    }
}

extension LockLease {
    func encode(into w: inout BinaryWriter) {
        w.string(leaseId)
        w.string(owner)
        w.u64(fencingToken)
        w.i64(expiresAtMs)
    }

    static func decode(from r: inout BinaryReader) throws -> LockLease {
        LockLease(leaseId: try r.string(), owner: try r.string(), fencingToken: try r.u64(), expiresAtMs: try r.i64())
    }
}
