import TesseraRaft
import TesseraSimulation
import XCTest

/// The simulated clients' state machine and command encoding.
final class KVStateMachineTests: XCTestCase {
    func testCommandRoundTrips() {
        let inputs: [KVInput] = [.get(key: 3), .put(key: 1, value: .max), .cas(key: 2, expected: 5, new: 6)]
        for input in inputs {
            let command = KVCommand(client: 7, operation: 99, input: input)
            XCTAssertEqual(KVCommand(decoding: command.encoded()), command)
        }
        XCTAssertNil(KVCommand(decoding: [1, 2, 3]))
    }

    func testApplyAndSnapshotRoundTrip() {
        var machine = KVStateMachine()
        let commands: [KVInput] = [
            .put(key: 1, value: 10), .cas(key: 1, expected: 10, new: 11), .cas(key: 2, expected: 1, new: 2),
        ]
        var outputs: [KVOutput] = []
        for (offset, input) in commands.enumerated() {
            let entry = LogEntry(
                term: 1,
                index: LogIndex(offset + 1),
                payload: .command(KVCommand(client: 0, operation: UInt64(offset), input: input).encoded())
            )
            outputs.append(machine.apply(entry)!.1)
        }
        XCTAssertEqual(outputs, [.ok, .swapped(true), .swapped(false)])
        let snapshot = Snapshot(index: 3, term: 1, membership: Membership(voters: [1]), data: machine.encoded())
        XCTAssertEqual(KVStateMachine(snapshot: snapshot), machine)
    }
}
