import TesseraCore
import XCTest

final class VersionAndClockTests: XCTestCase {
    func testClockIsMonotonicWhenTheWallClockStepsBack() {
        var clock = HybridClock()
        let a = clock.now(wallMs: 1000)
        let b = clock.now(wallMs: 1000)
        let c = clock.now(wallMs: 900)
        let d = clock.now(wallMs: 2000)
        XCTAssertLessThan(a, b)
        XCTAssertLessThan(b, c)
        XCTAssertLessThan(c, d)
        XCTAssertEqual(d.physicalMs, 2000)
        XCTAssertEqual(d.logical, 0)
    }

    func testObserveMovesPastRemoteTimestamps() {
        var clock = HybridClock()
        clock.observe(HybridTimestamp(physicalMs: 5000, logical: 3))
        XCTAssertGreaterThan(clock.now(wallMs: 10), HybridTimestamp(physicalMs: 5000, logical: 3))
    }

    func testVersionTextRoundTripAndOrder() {
        let v = Version(timestamp: HybridTimestamp(physicalMs: 1_795_000_000_000, logical: 7), node: 3)
        XCTAssertEqual(Version(v.description), v)
        XCTAssertEqual(v.description.count, 21)
        XCTAssertNil(Version("nonsense"))
        XCTAssertNil(Version("zzzzzzzzzzzzzzzz-0001"))
        let w = Version(timestamp: v.timestamp, node: 4)
        XCTAssertLessThan(v, w, "the node id breaks timestamp ties")
    }

    func testItemKeysCompareByBytes() {
        // Canonically equivalent but different bytes: distinct keys.
        let composed = ItemKey("\u{E9}")
        let decomposed = ItemKey("e\u{301}")
        XCTAssertNotEqual(composed, decomposed)
        XCTAssertEqual(Set([composed, decomposed]).count, 2)
        XCTAssertLessThan(ItemKey("a"), ItemKey("b"))
        XCTAssertLessThan(ItemKey("Z"), ItemKey("a"))
        XCTAssertLessThan(decomposed, composed, "0x65 sorts before 0xC3")
    }
}
