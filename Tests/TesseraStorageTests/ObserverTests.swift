import Synchronization
import TesseraCore
import XCTest

@testable import TesseraStorage

final class ObserverTests: XCTestCase {
    final class Recorder: ItemObserver {
        let seen = Mutex<[String]>([])

        func validate(keyspace: String, key: String, item: StoredItem) throws(TesseraError) {
            if item.value == Array("bad".utf8) { throw .badRequest("refused by the observer") }
        }

        func apply(keyspace: String, key: String, item: StoredItem?) {
            seen.withLock {
                $0.append("\(keyspace)/\(key)=\(item.map { String(decoding: $0.value, as: UTF8.self) } ?? "nil")")
            }
        }
    }

    func testObserverSeesEveryChangeAndCanRefuseAWrite() async throws {
        let clock = ManualClock()
        let engine = try openEngine(temporaryDirectory(self), clock: clock)
        defer { engine.close() }
        let recorder = Recorder()
        engine.setObserver(recorder)
        _ = try await engine.put(keyspace: "default", key: "a", value: bytes("1"), contentType: "text/plain")
        do {
            _ = try await engine.put(keyspace: "default", key: "a", value: bytes("bad"), contentType: "text/plain")
            XCTFail("the observer refuses")
        } catch {
            XCTAssertEqual(error.code, .badRequest)
        }
        let v7 = try await engine.get(keyspace: "default", key: "a")?.value
        XCTAssertEqual(v7, bytes("1"), "nothing of the refused write")
        try await engine.delete(keyspace: "default", key: "a")
        _ = try await engine.transact(
            keyspace: "default",
            Transaction(
                compares: [],
                success: [
                    .incr(key: "{t}:n", by: 2),
                    .put(key: "{t}:m", value: bytes("x"), contentType: "text/plain", ttlMs: 10),
                ], failure: []))
        clock.advance(20)
        engine.expireItems()
        var collected: [String] = []
        try engine.forEachItem(keyspace: "default") { key, _ in collected.append(key) }
        XCTAssertEqual(collected, ["{t}:n"])
        XCTAssertEqual(
            recorder.seen.withLock { $0 },
            ["default/a=1", "default/a=nil", "default/{t}:n=2", "default/{t}:m=x", "default/{t}:m=nil"])
    }
}
