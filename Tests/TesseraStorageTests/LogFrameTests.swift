import TesseraCore
import XCTest

@testable import TesseraStorage

final class LogFrameTests: XCTestCase {
    let version = Version(timestamp: HybridTimestamp(physicalMs: 1000, logical: 1), node: 1)

    func sampleMutations() -> [Mutation] {
        [
            .put(
                keyspace: "ks", key: "k1",
                item: StoredItem(value: bytes("v1"), contentType: "text/plain", version: version, expiresAtMs: 77)),
            .delete(keyspace: "ks", key: "k2", reason: .expire, version: version),
            .keyspacePut(
                KeyspaceConfig(name: "ks", consistency: .strong, replicas: 5, changeRetentionSeconds: 9, createdAtMs: 3)
            ),
            .keyspaceDrop(name: "old"),
            .lockGrant(name: "l", lease: LockLease(leaseId: "id", owner: "o", fencingToken: 9, expiresAtMs: 5)),
            .lockFree(name: "l", lastToken: 9),
        ]
    }

    func testRoundTrip() {
        let frame = LogFrame.encode(firstLSN: 42, mutations: sampleMutations())
        let (frames, valid) = LogFrame.decodePrefix(frame + frame)
        XCTAssertEqual(valid, frame.count * 2)
        XCTAssertEqual(frames.count, 2)
        XCTAssertEqual(frames[0].firstLSN, 42)
        XCTAssertEqual(frames[0].mutations, sampleMutations())
    }

    func testEveryTruncationStopsAtTheLastWholeFrame() {
        let one = LogFrame.encode(firstLSN: 1, mutations: [sampleMutations()[0]])
        let two = LogFrame.encode(firstLSN: 2, mutations: sampleMutations())
        let log = one + two
        for cut in 0..<log.count {
            let (frames, valid) = LogFrame.decodePrefix(Array(log[0..<cut]))
            if cut < one.count {
                XCTAssertEqual(frames.count, 0)
                XCTAssertEqual(valid, 0)
            } else {
                XCTAssertEqual(frames.count, 1, "cut at \(cut)")
                XCTAssertEqual(valid, one.count)
            }
        }
    }

    func testFlippedByteFailsTheChecksum() {
        var log = LogFrame.encode(firstLSN: 1, mutations: sampleMutations())
        for position in stride(from: 8, to: log.count, by: 7) {
            log[position] ^= 0x40
            XCTAssertEqual(LogFrame.decodePrefix(log).frames.count, 0, "flip at \(position)")
            log[position] ^= 0x40
        }
        XCTAssertEqual(LogFrame.decodePrefix(log).frames.count, 1)
    }

    func testCRC32CKnownValue() {
        // The standard check value of CRC-32C.
        XCTAssertEqual(CRC32C.checksum(bytes("123456789")), 0xE306_9283)
    }
}
