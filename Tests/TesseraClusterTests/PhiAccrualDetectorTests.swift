import XCTest

@testable import TesseraCluster

final class PhiAccrualDetectorTests: XCTestCase {
    func testPhiIsZeroBeforeTheFirstHeartbeat() {
        let detector = PhiAccrualDetector()
        XCTAssertNil(detector.lastHeartbeatMs)
        XCTAssertEqual(detector.phi(atMs: 0), 0)
        XCTAssertEqual(detector.phi(atMs: 1_000_000), 0)
    }

    func testRegularHeartbeats() {
        var detector = PhiAccrualDetector()
        var now: Int64 = 10_000
        for _ in 0..<200 {
            detector.heartbeat(atMs: now)
            now += 200
        }
        let last = now - 200
        XCTAssertEqual(detector.lastHeartbeatMs, last)
        XCTAssertEqual(detector.meanIntervalMs, 200, accuracy: 1e-9)
        XCTAssertEqual(detector.intervalStdDevMs, 0, accuracy: 1e-6)
        XCTAssertLessThan(detector.phi(atMs: last + 10), 1)
        XCTAssertLessThan(detector.phi(atMs: last + 200), 1)
        var previous = detector.phi(atMs: last)
        for silence in stride(from: Int64(50), through: 5000, by: 50) {
            let phi = detector.phi(atMs: last + silence)
            XCTAssertGreaterThan(phi, previous, "silence \(silence)")
            XCTAssertTrue(phi.isFinite)
            previous = phi
        }
        XCTAssertGreaterThan(detector.phi(atMs: last + 1000), 8)
        XCTAssertGreaterThan(detector.phi(atMs: last + 3000), 8)
    }

    func testFirstHeartbeatUsesTheEstimate() {
        var detector = PhiAccrualDetector(firstHeartbeatEstimateMs: 1000)
        detector.heartbeat(atMs: 0)
        XCTAssertEqual(detector.meanIntervalMs, 1000, accuracy: 1e-9)
        XCTAssertEqual(detector.intervalStdDevMs, 250, accuracy: 1e-9)
        // At the mean the probability that a heartbeat is still coming is one half.
        XCTAssertEqual(detector.phi(atMs: 1000), -log10(0.5), accuracy: 1e-9)
        XCTAssertLessThan(detector.phi(atMs: 500), 0.3)
        XCTAssertGreaterThan(detector.phi(atMs: 3000), 8)
    }

    func testMatchesAkkasFormula() {
        var detector = PhiAccrualDetector(firstHeartbeatEstimateMs: 1000)
        detector.heartbeat(atMs: 0)
        // Mean 1000, standard deviation 250.
        for elapsed in [0.0, 300, 700, 999, 1000, 1001, 1300, 1800, 2500, 3500] {
            let y = (elapsed - 1000) / 250
            let e = exp(-y * (1.5976 + 0.070566 * y * y))
            let akka = elapsed > 1000 ? -log10(e / (1 + e)) : -log10(1 - 1 / (1 + e))
            XCTAssertEqual(detector.phi(atMs: Int64(elapsed)), akka, accuracy: 1e-9 * max(1, akka), "\(elapsed)")
        }
    }

    func testJitterRaisesTolerance() {
        var steady = PhiAccrualDetector()
        var jittery = PhiAccrualDetector()
        var steadyTime: Int64 = 0
        var jitteryTime: Int64 = 0
        for beat in 0...200 {
            steady.heartbeat(atMs: steadyTime)
            jittery.heartbeat(atMs: jitteryTime)
            steadyTime += 200
            jitteryTime += beat % 2 == 0 ? 50 : 350
        }
        XCTAssertEqual(steady.meanIntervalMs, jittery.meanIntervalMs, accuracy: 1e-9)
        XCTAssertGreaterThan(jittery.intervalStdDevMs, steady.intervalStdDevMs)
        let silence: Int64 = 700
        let steadyPhi = steady.phi(atMs: steady.lastHeartbeatMs.map { $0 + silence } ?? 0)
        let jitteryPhi = jittery.phi(atMs: jittery.lastHeartbeatMs.map { $0 + silence } ?? 0)
        XCTAssertLessThan(jitteryPhi, steadyPhi)
    }

    func testAcceptablePauseDelaysSuspicion() {
        var plain = PhiAccrualDetector()
        var tolerant = PhiAccrualDetector(acceptableHeartbeatPauseMs: 1000)
        for beat in 0..<50 {
            plain.heartbeat(atMs: Int64(beat) * 200)
            tolerant.heartbeat(atMs: Int64(beat) * 200)
        }
        let at: Int64 = 49 * 200 + 800
        XCTAssertGreaterThan(plain.phi(atMs: at), 8)
        XCTAssertLessThan(tolerant.phi(atMs: at), 1)
    }

    func testWindowForgetsOldIntervals() {
        var detector = PhiAccrualDetector(windowSize: 10)
        var now: Int64 = 0
        for _ in 0..<11 {
            detector.heartbeat(atMs: now)
            now += 1000
        }
        for _ in 0..<35 {
            detector.heartbeat(atMs: now)
            now += 100
        }
        XCTAssertEqual(detector.meanIntervalMs, 100, accuracy: 1e-9)
        XCTAssertEqual(detector.intervalStdDevMs, 0, accuracy: 1e-6)
    }

    func testOutOfOrderHeartbeatIsIgnored() {
        var detector = PhiAccrualDetector()
        detector.heartbeat(atMs: 1000)
        detector.heartbeat(atMs: 900)
        XCTAssertEqual(detector.lastHeartbeatMs, 1000)
        XCTAssertEqual(detector.meanIntervalMs, 500, accuracy: 1e-9)
    }
}
