/// The on-disk frame of the log: `u32 length, u32 crc32c(payload), payload`, where the payload is
/// `u64 first LSN, u32 count, count mutations`. Mutation i of a frame has LSN `first + i`. A frame is the
/// unit of atomicity: a transaction's mutations share one frame, so recovery applies all or none of them.
public enum LogFrame {
    /// Bytes before the payload.
    static let headerBytes = 8
    /// The largest payload accepted when reading (guards against a corrupted length).
    static let payloadBytesMax = 64 << 20

    /// Encodes a frame.
    static func encode(firstLSN: UInt64, mutations: [Mutation]) -> [UInt8] {
        var payload = BinaryWriter()
        payload.bytes.reserveCapacity(mutations.reduce(16) { $0 + $1.encodedSizeEstimate })
        payload.u64(firstLSN)
        payload.u32(UInt32(mutations.count))
        for mutation in mutations { mutation.encode(into: &payload) }
        var frame = BinaryWriter()
        frame.bytes.reserveCapacity(payload.bytes.count + headerBytes)
        frame.u32(UInt32(payload.bytes.count))
        frame.u32(CRC32C.checksum(payload.bytes))
        frame.bytes.append(contentsOf: payload.bytes)
        return frame.bytes
    }

    /// A decoded frame.
    struct Decoded {
        var firstLSN: UInt64
        var mutations: [Mutation]
    }

    /// Decodes the valid prefix of `bytes`: the frames, and the length of the prefix they span. Decoding
    /// stops at the first frame that is truncated, fails its checksum, or does not parse.
    static func decodePrefix(_ bytes: [UInt8]) -> (frames: [Decoded], validBytes: Int) {
        var frames: [Decoded] = []
        var offset = 0
        while offset + headerBytes <= bytes.count {
            var header = BinaryReader(bytes, offset: offset)
            guard let length = try? Int(header.u32()), let crc = try? header.u32() else { break }
            let start = offset + headerBytes
            guard length <= payloadBytesMax, length >= 12, start + length <= bytes.count else { break }
            let actual = bytes.withUnsafeBytes {
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<start + length]))
            }
            guard actual == crc else { break }
            var reader = BinaryReader(bytes, offset: start, end: start + length)
            guard let frame = try? decodePayload(&reader) else { break }
            frames.append(frame)
            offset = start + length
        }
        return (frames, offset)
    }

    private static func decodePayload(_ reader: inout BinaryReader) throws -> Decoded {
        let first = try reader.u64()
        let count = Int(try reader.u32())
        var mutations: [Mutation] = []
        mutations.reserveCapacity(min(count, 1024))
        for _ in 0..<count { mutations.append(try Mutation.decode(from: &reader)) }
        guard reader.isAtEnd else { throw BinaryReader.Truncated() }
        return Decoded(firstLSN: first, mutations: mutations)
    }
}
