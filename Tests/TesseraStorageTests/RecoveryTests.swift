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
        let v8 = try await reopened.get(keyspace: "default", key: "k199")?.value
        XCTAssertEqual(v8, bytes("v199"))
        let v9 = try await reopened.get(keyspace: "default", key: "k7")
        XCTAssertNil(v9)
        XCTAssertEqual(try reopened.itemCount(keyspace: "default"), 199)
        XCTAssertEqual(reopened.keyspace("other")?.replicas, 2)
        let v10 = try await reopened.get(keyspace: "other", key: "x")?.value
        XCTAssertEqual(v10, bytes("y"))
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
        let v11 = try await recovered.get(keyspace: "default", key: "k49")
        XCTAssertNil(v11, "the torn record is gone")
        for i in 0..<49 {
            let v12 = try await recovered.get(keyspace: "default", key: "k\(i)")?.value
            XCTAssertEqual(v12, bytes("v\(i)"))
        }
        // And the node keeps working after the repair.
        _ = try await recovered.put(keyspace: "default", key: "after", value: bytes("ok"), contentType: "text/plain")
        let v13 = try await recovered.get(keyspace: "default", key: "after")?.value
        XCTAssertEqual(v13, bytes("ok"))
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
            let v14 = try await healthy.get(keyspace: "default", key: "a")?.value
            XCTAssertEqual(v14, bytes("1"))
            let v15 = try await healthy.get(keyspace: "default", key: "b")?.value
            XCTAssertEqual(v15, bytes("2"))
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
        let v16 = try await recovered.get(keyspace: "default", key: "k0")
        XCTAssertNil(v16)
        let v17 = try await recovered.get(keyspace: "default", key: "k1")?.value
        XCTAssertEqual(v17, bytes("a1"))
        let v18 = try await recovered.get(keyspace: "default", key: "k60")?.value
        XCTAssertEqual(v18, bytes("b60"))
        let v19 = try await recovered.get(keyspace: "default", key: "k149")?.value
        XCTAssertEqual(v19, bytes("b149"))
        XCTAssertEqual(try recovered.itemCount(keyspace: "default"), 149)
        // Versions keep increasing past everything recovered.
        let result = try await recovered.put(
            keyspace: "default", key: "k1", value: bytes("c"), contentType: "text/plain")
        let v20 = try await recovered.get(keyspace: "default", key: "k149")!.version
        XCTAssertGreaterThan(result.version, v20)
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

final class LargeSnapshotTests: XCTestCase {
    /// Values whose total exceeds one frame's limit: the snapshot splits its frames by bytes and reads back.
    func testSnapshotOfLargeValuesReadsBack() async throws {
        let dir = temporaryDirectory(self)
        let engine = try openEngine(dir)
        let value = [UInt8](repeating: 7, count: 512 << 10)
        for i in 0..<160 {
            _ = try await engine.put(
                keyspace: "default", key: "big\(i)", value: value, contentType: "application/octet-stream")
        }
        engine.close()  // snapshots 80 MiB of values
        XCTAssertEqual(FileIO.list(dir).filter { $0.hasSuffix(".snap") }.count, 1)
        XCTAssertTrue(
            FileIO.list(dir).filter { $0.hasSuffix(".seg") }.allSatisfy {
                (try? FileIO.readAll(dir + "/" + $0).isEmpty) ?? false
            })
        let reopened = try openEngine(dir)
        defer { reopened.close() }
        XCTAssertEqual(try reopened.itemCount(keyspace: "default"), 160)
        let read = try await reopened.get(keyspace: "default", key: "big159")
        XCTAssertEqual(read?.value, value)
    }
}
