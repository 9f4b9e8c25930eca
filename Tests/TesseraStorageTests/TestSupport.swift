import Foundation
import Synchronization
import XCTest

@testable import TesseraStorage

/// A wall clock the test moves by hand.
final class ManualClock: Sendable {
    private let ms = Mutex<Int64>(1_800_000_000_000)
    var now: Int64 { ms.withLock { $0 } }
    func advance(_ delta: Int64) { ms.withLock { $0 += delta } }
    var function: @Sendable () -> Int64 { { self.now } }
}

/// A fresh temporary directory, removed at the end of the test.
func temporaryDirectory(_ test: XCTestCase) -> String {
    let path = NSTemporaryDirectory() + "tessera-test-" + UUID().uuidString
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

func openEngine(_ directory: String, clock: ManualClock? = nil, snapshotBytes: Int = 64 << 20) throws -> StorageEngine {
    try StorageEngine(
        options: StorageOptions(directory: directory, partitionCount: 8, snapshotLogBytes: snapshotBytes),
        wallClock: clock?.function ?? StorageEngine.systemMilliseconds)
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
