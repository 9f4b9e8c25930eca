/// The CAP choice of a keyspace.
public enum Consistency: String, Sendable, Codable {
    /// Leaderless quorums: any replica answers (AP).
    case available
    /// Linearizable reads and writes (CP).
    case strong
}

/// The stored settings of a keyspace.
public struct KeyspaceConfig: Sendable, Equatable {
    /// The keyspace's name.
    public var name: String
    /// The CAP choice.
    public var consistency: Consistency
    /// Copies of each partition.
    public var replicas: Int
    /// How long change events are kept.
    public var changeRetentionSeconds: Int
    /// The encryption mode (`none` only, for now).
    public var encryptionMode: String
    /// When it was created (Unix ms).
    public var createdAtMs: Int64
    /// The secondary index definitions, as a JSON array (interpreted by the index layer, kept opaque here).
    public var indexesJSON: String
    /// Region-pinned: a key's hash tag names the region whose nodes hold it.
    public var regions = false

    /// The defaults of API.md.
    public static let defaultReplicas = 3
    /// One hour of change history by default.
    public static let defaultChangeRetentionSeconds = 3600

    /// Creates a configuration.
    public init(
        name: String, consistency: Consistency = .available, replicas: Int = defaultReplicas,
        changeRetentionSeconds: Int = defaultChangeRetentionSeconds, encryptionMode: String = "none",
        createdAtMs: Int64 = 0, indexesJSON: String = "[]"
    ) {
        self.name = name
        self.consistency = consistency
        self.replicas = replicas
        self.changeRetentionSeconds = changeRetentionSeconds
        self.encryptionMode = encryptionMode
        self.createdAtMs = createdAtMs
        self.indexesJSON = indexesJSON
    }
}
