import XCTest

@testable import TesseraRaft

/// Property test of the log against an obviously correct reference (a plain array of terms), in the spirit of
/// etcd's `quorum/quick_test.go`: random appends, conflicts, commits and compactions; after every step the log
/// must agree with the reference, and what it handed out for persisting must rebuild the same log in storage.
final class RaftLogPropertyTests: XCTestCase {
    private struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func testLogMatchesReferenceUnderRandomOperations() {
        for seed in 0..<200 {
            var random = Generator(state: UInt64(seed))
            var storage = MemoryRaftStorage(membership: Membership(voters: [1]))
            var log = RaftLog(storage: storage)
            var reference: [Term] = []  // reference[i] is the term of index i + 1
            var compactedThrough: LogIndex = 0
            var term: Term = 1
            for _ in 0..<150 {
                switch Int.random(in: 0..<10, using: &random) {
                case 0..<5:
                    // A leader's append: starts anywhere after the commit index, up to one past the end.
                    let lastIndex = LogIndex(reference.count)
                    let start = LogIndex.random(in: (log.committed + 1)...(lastIndex + 1), using: &random)
                    if Bool.random(using: &random) { term += 1 }
                    let count = Int.random(in: 1...5, using: &random)
                    var entries: [LogEntry] = []
                    for offset in 0..<count {
                        let index = start + LogIndex(offset)
                        let entryTerm =
                            index <= lastIndex && Bool.random(using: &random) ? reference[Int(index - 1)] : term
                        entries.append(LogEntry(term: max(entryTerm, 1), index: index, payload: .noop))
                    }
                    // A real leader's entries match ours wherever the terms agree (log matching); keep that true.
                    var consistent: [LogEntry] = []
                    var diverged = false
                    for entry in entries {
                        let existing = entry.index <= LogIndex(reference.count) ? reference[Int(entry.index - 1)] : nil
                        if diverged || existing != entry.term {
                            diverged = true
                            consistent.append(LogEntry(term: term, index: entry.index, payload: .noop))
                        } else {
                            consistent.append(entry)
                        }
                    }
                    _ = log.appendFromLeader(consistent)
                    for entry in consistent {
                        let position = Int(entry.index - 1)
                        if position < reference.count {
                            if reference[position] == entry.term { continue }
                            reference.removeSubrange(position...)
                        }
                        reference.append(entry.term)
                    }
                case 5..<7:
                    log.commit(to: LogIndex.random(in: log.committed...LogIndex(reference.count), using: &random))
                case 7:
                    // As `ready()` does: hand out entries for persisting before handing out committed ones.
                    storage.append(log.takeUnstable())
                    _ = log.takeCommitted(maxCount: 1_000)
                    if log.applied > compactedThrough {
                        let through = LogIndex.random(in: compactedThrough...log.applied, using: &random)
                        let snapshot = log.compact(through: through, data: [])
                        storage.save(snapshot: snapshot)
                        compactedThrough = through
                    }
                default:
                    storage.append(log.takeUnstable())
                }
                XCTAssertEqual(log.lastIndex, LogIndex(reference.count), "seed \(seed)")
                for index in compactedThrough...LogIndex(reference.count) where index > 0 {
                    XCTAssertEqual(log.term(at: index), reference[Int(index - 1)], "seed \(seed) index \(index)")
                }
            }
            storage.append(log.takeUnstable())
            XCTAssertEqual(storage.lastIndex, LogIndex(reference.count), "seed \(seed): storage rebuilt the log")
            for entry in storage.entries {
                XCTAssertEqual(entry.term, reference[Int(entry.index - 1)], "seed \(seed): stored entry \(entry.index)")
            }
            let restored = RaftLog(storage: storage)
            XCTAssertEqual(restored.lastIndex, log.lastIndex, "seed \(seed): a restart sees the same log")
        }
    }
}
