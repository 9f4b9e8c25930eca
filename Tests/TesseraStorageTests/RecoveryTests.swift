import Foundation
import TesseraCore
import XCTest

@testable import TesseraStorage

final class RecoveryTests: XCTestCase {
    func testAcknowledgedWritesSurviveReopen() async throws {
        let dir = temporaryDirectory(self)
        var engine: StorageEngine? = try openEngine(dir)
        for i in 0..<200 {
            _ = try await engine!.put(
                keyspace: "default", key: "k\(i)", value: bytes("v\(i)"), contentType: "text/plain")
        }
        try await engine!.delete(keyspace: "default", key: "k7")
        _ = try await engine!.putKeyspace(KeyspaceConfig(name: "other", replicas: 2))
        _ = try await engine!.put(keyspace: "other", key: "x", value: bytes("y"), contentType: "text/plain")
        engine!.close()
        engine = nil

        let reopened = try openEngine(dir)
        defer { reopened.close() }
        XCTAssertEqual(try reopened.get(keyspace: "default", key: "k199")?.value, bytes("v199"))
        XCTAssertNil(try reopened.get(keyspace: "default", key: "k7"))
        XCTAssertEqual(try reopened.itemCount(keyspace: "default"), 199)
        XCTAssertEqual(reopened.keyspace("other")?.replicas, 2)
        XCTAssertEqual(try reopened.get(keyspace: "other", key: "x")?.value, bytes("y"))
    }

    /// Simulates a crash: the engine is abandoned without close(), its files copied as they are on disk.
    func crashCopy(of dir: String) throws -> String {
        let copy = dir + "-crash"
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: dir, toPath: copy)
        try? FileManager.default.removeItem(atPath: copy + "/LOCK")
        addTeardownBlock { try? FileManager.default.removeItem(atPath: copy) }
        return copy
    }

    func testTornTailIsDiscardedAndEarlierWritesKept() async throws {
        let dir = temporaryDirectory(self)
        let engine = try openEngine(dir)
        for i in 0..<50 {
            _ = try await engine.put(
                keyspace: "default", key: "k\(i)", value: bytes("v\(i)"), contentType: "text/plain")
        }
        let copy = try crashCopy(of: dir)
        engine.close()
        let segment = FileIO.list(copy).filter { $0.hasSuffix(".seg") }.sorted().last!
        let path = copy + "/" + segment
        var data = try FileIO.readAll(path)
        // Tear the last record: drop its final 5 bytes, then append garbage.
        data.removeLast(5)
        data.append(contentsOf: [1, 2, 3])
        try Data(data).write(to: URL(fileURLWithPath: path))

        let recovered = try openEngine(copy)
        defer { recovered.close() }
        XCTAssertNil(try recovered.get(keyspace: "default", key: "k49"), "the torn record is gone")
        for i in 0..<49 {
            XCTAssertEqual(try recovered.get(keyspace: "default", key: "k\(i)")?.value, bytes("v\(i)"))
        }
        // And the node keeps working after the repair.
        _ = try await recovered.put(keyspace: "default", key: "after", value: bytes("ok"), contentType: "text/plain")
        XCTAssertEqual(try recovered.get(keyspace: "default", key: "after")?.value, bytes("ok"))
    }

    func testCorruptionBeforeTheLastSegmentStopsTheNode() async throws {
        let dir = temporaryDirectory(self)
        let first = try openEngine(dir)
        _ = try await first.put(keyspace: "default", key: "a", value: bytes("1"), contentType: "text/plain")
        let crashed = try crashCopy(of: dir)
        first.close()
        let second = try openEngine(crashed)  // recovers and starts a second segment
        _ = try await second.put(keyspace: "default", key: "b", value: bytes("2"), contentType: "text/plain")
        let copy = crashed + "-again"
        try FileManager.default.copyItem(atPath: crashed, toPath: copy)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: copy) }
        second.close()
        try? FileManager.default.removeItem(atPath: copy + "/LOCK")
        let segments = FileIO.list(copy).filter { $0.hasSuffix(".seg") }.sorted()
        XCTAssertEqual(segments.count, 2)
        XCTAssertTrue(FileIO.list(copy).filter { $0.hasSuffix(".snap") }.isEmpty)
        // A healthy copy recovers both writes.
        do {
            let healthy = try openEngine(copy)
            XCTAssertEqual(try healthy.get(keyspace: "default", key: "a")?.value, bytes("1"))
            XCTAssertEqual(try healthy.get(keyspace: "default", key: "b")?.value, bytes("2"))
            healthy.wal.close()
            releaseDirectoryLock(healthy)
        }
        var data = try FileIO.readAll(copy + "/" + segments[0])
        data[data.count - 2] ^= 0xFF
        try Data(data).write(to: URL(fileURLWithPath: copy + "/" + segments[0]))
        XCTAssertThrowsError(try openEngine(copy)) { error in
            XCTAssertTrue("\(error)".contains("corrupt"), "\(error)")
        }
    }

    func testSnapshotThenLogReplay() async throws {
        let dir = temporaryDirectory(self)
        let engine = try openEngine(dir, snapshotBytes: 1 << 16)
        for i in 0..<100 {
            _ = try await engine.put(
                keyspace: "default", key: "k\(i)", value: bytes("a\(i)"), contentType: "text/plain")
        }
        try engine.takeSnapshot()
        for i in 50..<150 {
            _ = try await engine.put(
                keyspace: "default", key: "k\(i)", value: bytes("b\(i)"), contentType: "text/plain")
        }
        try await engine.delete(keyspace: "default", key: "k0")
        let copy = try crashCopy(of: dir)
        engine.close()
        XCTAssertEqual(FileIO.list(copy).filter { $0.hasSuffix(".snap") }.count, 1)

        let recovered = try openEngine(copy)
        defer { recovered.close() }
        XCTAssertNil(try recovered.get(keyspace: "default", key: "k0"))
        XCTAssertEqual(try recovered.get(keyspace: "default", key: "k1")?.value, bytes("a1"))
        XCTAssertEqual(try recovered.get(keyspace: "default", key: "k60")?.value, bytes("b60"))
        XCTAssertEqual(try recovered.get(keyspace: "default", key: "k149")?.value, bytes("b149"))
        XCTAssertEqual(try recovered.itemCount(keyspace: "default"), 149)
        // Versions keep increasing past everything recovered.
        let result = try await recovered.put(
            keyspace: "default", key: "k1", value: bytes("c"), contentType: "text/plain")
        XCTAssertGreaterThan(result.version, try recovered.get(keyspace: "default", key: "k149")!.version)
    }

    func testSecondProcessCannotOpenTheSameDirectory() throws {
        let dir = temporaryDirectory(self)
        let engine = try openEngine(dir)
        defer { engine.close() }
        XCTAssertThrowsError(try openEngine(dir))
    }
}

/// Releases an engine's directory lock without the snapshot that close() would take.
func releaseDirectoryLock(_ engine: StorageEngine) {
    DataDirectoryLock.release(engine.lockFileDescriptor)
}
