import Foundation

/// The cluster layer's durable state in the data directory (`cluster.json`): the node's own record (id, region,
/// addresses, status), the members it knew and the keyspace definitions, so that a restarted node rejoins
/// without `--join`.
struct ClusterStateFile: Codable {
    var partitions: Int
    var selfRecord: MemberRecord
    var members: [MemberRecord]
    var keyspaces: [KeyspaceEntry]

    static func path(_ directory: String) -> String { directory + "/cluster.json" }

    static func load(_ directory: String) throws -> ClusterStateFile? {
        let path = path(directory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try JSONDecoder().decode(ClusterStateFile.self, from: data)
    }

    func save(_ directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        let path = Self.path(directory)
        let temporary = path + ".tmp"
        try data.write(to: URL(fileURLWithPath: temporary))
        let fd = open(temporary, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
        guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}
