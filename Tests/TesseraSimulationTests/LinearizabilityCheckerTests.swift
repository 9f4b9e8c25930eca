import TesseraSimulation
import XCTest

/// The checker against histories whose verdict is known (register examples in the style of Porcupine's tests).
final class LinearizabilityCheckerTests: XCTestCase {
    private typealias Op = HistoryOperation<KVInput, KVOutput>

    private func op(_ client: Int, _ input: KVInput, _ output: KVOutput?, _ invoke: UInt64, _ complete: UInt64?) -> Op {
        Op(client: client, input: input, output: output, invoke: invoke, complete: complete)
    }

    private func verdict(_ history: [Op]) -> LinearizabilityResult {
        LinearizabilityChecker(model: KVModel()).check(history)
    }

    func testEmptyHistoryIsLinearizable() {
        XCTAssertEqual(verdict([]), .linearizable)
    }

    func testSequentialHistoryIsLinearizable() {
        let history = [
            op(0, .put(key: 0, value: 1), .ok, 1, 2),
            op(1, .get(key: 0), .value(1), 3, 4),
            op(0, .cas(key: 0, expected: 1, new: 2), .swapped(true), 5, 6),
            op(1, .get(key: 0), .value(2), 7, 8),
        ]
        XCTAssertEqual(verdict(history), .linearizable)
    }

    /// A read concurrent with a write may see either value.
    func testConcurrentReadMaySeeOldOrNewValue() {
        for seen: UInt64 in [0, 1] {
            let history = [
                op(0, .put(key: 0, value: 1), .ok, 1, 10),
                op(1, .get(key: 0), .value(seen), 2, 3),
            ]
            XCTAssertEqual(verdict(history), .linearizable, "saw \(seen)")
        }
    }

    /// A read that starts after a write completed must not see the older value (a stale read).
    func testStaleReadIsNotLinearizable() {
        let history = [
            op(0, .put(key: 0, value: 1), .ok, 1, 2),
            op(1, .get(key: 0), .value(0), 3, 4),
        ]
        XCTAssertEqual(verdict(history), .notLinearizable)
    }

    /// Two readers see two concurrent writes in opposite orders: no single order explains both.
    func testReadersDisagreeingOnOrderIsNotLinearizable() {
        let history = [
            op(0, .put(key: 0, value: 1), .ok, 1, 20),
            op(1, .put(key: 0, value: 2), .ok, 1, 20),
            op(2, .get(key: 0), .value(1), 2, 3),
            op(2, .get(key: 0), .value(2), 4, 5),
            op(3, .get(key: 0), .value(2), 2, 3),
            op(3, .get(key: 0), .value(1), 6, 7),
        ]
        XCTAssertEqual(verdict(history), .notLinearizable)
    }

    /// Porcupine's classic: reads 1 then 0 while a write of 1 is in flight — once 1 was seen, 0 cannot return.
    func testNewThenOldReadIsNotLinearizable() {
        let history = [
            op(0, .put(key: 0, value: 1), .ok, 1, 10),
            op(1, .get(key: 0), .value(1), 2, 3),
            op(2, .get(key: 0), .value(0), 4, 5),
        ]
        XCTAssertEqual(verdict(history), .notLinearizable)
    }

    /// A write with an unknown outcome may take effect at any later time, or never.
    func testUnknownOutcomeWriteMayOrMayNotHappen() {
        let seenLater = [
            op(0, .put(key: 0, value: 7), nil, 1, nil),
            op(1, .get(key: 0), .value(0), 2, 3),
            op(1, .get(key: 0), .value(7), 10, 11),
        ]
        XCTAssertEqual(verdict(seenLater), .linearizable)
        let neverSeen = [
            op(0, .put(key: 0, value: 7), nil, 1, nil),
            op(1, .get(key: 0), .value(0), 20, 21),
        ]
        XCTAssertEqual(verdict(neverSeen), .linearizable)
        let seenBeforeInvoked = [
            op(1, .get(key: 0), .value(7), 1, 2),
            op(0, .put(key: 0, value: 7), nil, 3, nil),
        ]
        XCTAssertEqual(verdict(seenBeforeInvoked), .notLinearizable, "an operation cannot act before it is invoked")
    }

    /// Compare-and-swap: two CAS from the same expected value cannot both succeed.
    func testTwoSuccessfulCompareAndSwapsFromSameValueAreNotLinearizable() {
        let history = [
            op(0, .cas(key: 0, expected: 0, new: 1), .swapped(true), 1, 5),
            op(1, .cas(key: 0, expected: 0, new: 2), .swapped(true), 2, 6),
        ]
        XCTAssertEqual(verdict(history), .notLinearizable)
        let oneFails = [
            op(0, .cas(key: 0, expected: 0, new: 1), .swapped(true), 1, 5),
            op(1, .cas(key: 0, expected: 0, new: 2), .swapped(false), 2, 6),
            op(2, .get(key: 0), .value(1), 7, 8),
        ]
        XCTAssertEqual(verdict(oneFails), .linearizable)
    }

    /// Histories are checked key by key; the failing key is reported.
    func testPartitionByKeyReportsFailingKey() {
        let history = [
            op(0, .put(key: 1, value: 5), .ok, 1, 2),
            op(1, .get(key: 2), .value(0), 1, 2),
            op(2, .get(key: 1), .value(0), 3, 4),
        ]
        let result = KVModel.check(history)
        XCTAssertEqual(result.result, .notLinearizable)
        XCTAssertEqual(result.key, 1)
    }

    /// Memoization keeps a large, highly concurrent but linearizable history cheap to check.
    func testLargeConcurrentHistoryIsCheckedWithinBudget() {
        var history: [Op] = []
        var time: UInt64 = 0
        for round in 0..<60 {
            let value = UInt64(round + 1)
            history.append(op(0, .put(key: 0, value: value), .ok, time, time + 5))
            for reader in 1...4 {
                history.append(op(reader, .get(key: 0), .value(round == 0 ? 0 : value - 1), time, time + 4))
            }
            time += 6
        }
        // Each round's reads overlap the write, and see the previous value: linearizable.
        XCTAssertEqual(LinearizabilityChecker(model: KVModel(), stepBudget: 200_000).check(history), .linearizable)
    }

    /// A tiny budget yields an honest `.inconclusive` instead of a wrong verdict.
    func testBudgetExhaustionIsInconclusive() {
        var history: [Op] = []
        for client in 0..<12 { history.append(op(client, .put(key: 0, value: UInt64(client)), .ok, 0, 100)) }
        history.append(op(99, .get(key: 0), .value(1000), 200, 201))
        XCTAssertEqual(LinearizabilityChecker(model: KVModel(), stepBudget: 50).check(history), .inconclusive)
    }
}
