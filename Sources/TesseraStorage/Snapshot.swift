/// A snapshot file: the whole state of a node as mutations, so recovery applies it with the same code as
/// the log. `header (magic, replay-from LSN, last LSN, clock high-water, frame count) + u32 crc32c(header)`,
/// then frames in the log's frame format.
///
/// Snapshots are fuzzy: taken after the log rotated at LSN L, while writes go on. Every mutation states its
/// result absolutely, so replaying the log from L over a snapshot that already holds some of those writes ends
/// in the same state.
enum Snapshot {
    static let magic: [UInt8] = Array("TESSNAP1".utf8)
    static let mutationsPerFrame = 4096
    /// Frames stay far below what the reader accepts (`LogFrame.payloadBytesMax`).
    static let frameBytesTarget = 16 << 20

    struct Header {
        var replayFromLSN: UInt64
        var lastLSN: UInt64
        var clockHighWater: UInt64
        var frameCount: UInt64
    }

    static func fileName(replayFrom lsn: UInt64) -> String {
        let digits = String(lsn)
        return "snapshot-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".snap"
    }

    static func encode(header: Header, mutations: [Mutation]) -> [UInt8] {
        var frames: [[UInt8]] = []
        var batch: [Mutation] = []
        var batchBytes = 0
        for mutation in mutations {
            let size = mutation.encodedSizeEstimate
            if !batch.isEmpty && (batch.count == mutationsPerFrame || batchBytes + size > frameBytesTarget) {
                frames.append(LogFrame.encode(firstLSN: 0, mutations: batch))
                batch = []
                batchBytes = 0
            }
            batch.append(mutation)
            batchBytes += size
        }
        if !batch.isEmpty { frames.append(LogFrame.encode(firstLSN: 0, mutations: batch)) }
        var head = BinaryWriter()
        head.bytes.append(contentsOf: magic)
        head.u64(header.replayFromLSN)
        head.u64(header.lastLSN)
        head.u64(header.clockHighWater)
        head.u64(UInt64(frames.count))
        var out = head.bytes
        var crc = BinaryWriter()
        crc.u32(CRC32C.checksum(head.bytes))
        out.append(contentsOf: crc.bytes)
        for frame in frames { out.append(contentsOf: frame) }
        return out
    }

    static func decode(_ bytes: [UInt8]) throws -> (Header, [Mutation]) {
        let headBytes = magic.count + 32
        guard bytes.count >= headBytes + 4, Array(bytes[0..<magic.count]) == magic else {
            throw StorageError("snapshot: bad magic")
        }
        var reader = BinaryReader(bytes, offset: magic.count)
        let header = Header(
            replayFromLSN: try reader.u64(), lastLSN: try reader.u64(), clockHighWater: try reader.u64(),
            frameCount: try reader.u64())
        let crc = try reader.u32()
        guard crc == CRC32C.checksum(Array(bytes[0..<headBytes])) else {
            throw StorageError("snapshot: bad header crc")
        }
        let body = Array(bytes[(headBytes + 4)...])
        let (frames, valid) = LogFrame.decodePrefix(body)
        guard UInt64(frames.count) == header.frameCount, valid == body.count else {
            throw StorageError("snapshot: truncated or corrupt (\(frames.count) of \(header.frameCount) frames)")
        }
        return (header, frames.flatMap(\.mutations))
    }
}
