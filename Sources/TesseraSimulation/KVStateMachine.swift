import TesseraRaft

/// The replicated key-value state machine the simulated clients use.
///
/// It keeps a session per client (dissertation §6.3): the latest operation number applied and its result, so a
/// client may retry a write after losing its leader without the write taking effect twice.
public struct KVStateMachine: Sendable, Hashable {
    /// Current values; absent keys read as 0.
    public private(set) var values: [UInt8: UInt64] = [:]
    /// Per client: the latest operation applied and its result.
    public private(set) var sessions: [UInt32: Session] = [:]
    /// The index of the last applied entry.
    public private(set) var appliedIndex: LogIndex = 0

    /// Creates an empty state machine.
    public init() {}

    /// Applies one input, returning its result.
    public mutating func apply(_ input: KVInput) -> KVOutput {
        switch input {
        case .get(let key):
            return .value(values[key] ?? 0)
        case .put(let key, let value):
            values[key] = value
            return .ok
        case .cas(let key, let expected, let new):
            guard (values[key] ?? 0) == expected else { return .swapped(false) }
            values[key] = new
            return .swapped(true)
        }
    }

    /// Applies a committed log entry; returns the command and its result for command entries. A retried command
    /// already applied returns the recorded result without running again; an older one is ignored.
    public mutating func apply(_ entry: LogEntry) -> (KVCommand, KVOutput)? {
        precondition(entry.index == appliedIndex + 1, "entries must be applied in order without gaps")
        appliedIndex = entry.index
        guard case .command(let bytes) = entry.payload, let command = KVCommand(decoding: bytes) else { return nil }
        if let session = sessions[command.client], command.operation <= session.operation {
            return command.operation == session.operation ? (command, session.output) : nil
        }
        let output = apply(command.input)
        sessions[command.client] = Session(operation: command.operation, output: output)
        return (command, output)
    }

    /// Serializes values and sessions (sorted, so equal states encode equally).
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        func put(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        put(UInt64(values.count))
        for key in values.keys.sorted() {
            bytes.append(key)
            put(values[key]!)
        }
        for client in sessions.keys.sorted() {
            let session = sessions[client]!
            put(UInt64(client))
            put(session.operation)
            switch session.output {
            case .value(let value):
                bytes.append(0)
                put(value)
            case .ok:
                bytes.append(1)
                put(0)
            case .swapped(let done):
                bytes.append(2)
                put(done ? 1 : 0)
            }
        }
        return bytes
    }

    /// Restores the state machine from a snapshot made of `encoded()`.
    public init(snapshot: Snapshot) {
        let bytes = snapshot.data
        var offset = 0
        func take() -> UInt64 {
            var value: UInt64 = 0
            for position in 0..<8 { value |= UInt64(bytes[offset + position]) << (8 * position) }
            offset += 8
            return value
        }
        appliedIndex = snapshot.index
        guard bytes.count >= 8 else { return }
        let count = take()
        for _ in 0..<count {
            let key = bytes[offset]
            offset += 1
            values[key] = take()
        }
        while offset + 25 <= bytes.count {
            let client = UInt32(take())
            let operation = take()
            let tag = bytes[offset]
            offset += 1
            let payload = take()
            let output: KVOutput = tag == 0 ? .value(payload) : tag == 1 ? .ok : .swapped(payload == 1)
            sessions[client] = Session(operation: operation, output: output)
        }
    }

    /// A client's latest applied operation and its result.
    public struct Session: Sendable, Hashable {
        /// The operation number.
        public var operation: UInt64
        /// Its result.
        public var output: KVOutput
    }
}
