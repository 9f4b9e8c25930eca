import TesseraRaft

/// A simulated client: one operation at a time, redirected by leader hints, giving up after a timeout.
struct SimulatedClient: Sendable {
    /// An operation in progress.
    struct Pending: Sendable {
        var input: KVInput
        var historyIndex: Int
        /// The node that accepted the operation (proposed it, or registered the read); nil while redirecting.
        var node: NodeID?
    }

    let id: Int
    var target: NodeID
    var sequence: UInt64 = 0
    var pending: Pending?
    var written: UInt64 = 0
    var lastSeen: [UInt8: UInt64] = [:]

    init(id: Int, target: NodeID) {
        self.id = id
        self.target = target
    }

    /// The token identifying the current operation in commands and read contexts.
    var token: UInt64 { UInt64(id) << 40 | sequence }
}
