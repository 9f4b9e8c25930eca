import TesseraRaft
import XCTest

/// The dissertation's extensions: PreVote (§9.6), CheckQuorum and vote leases (§6.2, §4.2.3), ReadIndex and
/// leases (§6.4), leadership transfer (§3.10).
final class RaftExtensionTests: XCTestCase {
    /// §9.6: "a candidate would first ask other servers whether its log was up-to-date enough to get their vote
    /// ... Only if the candidate believed it could get votes from a majority of the cluster would it increment its
    /// term and start a normal election."
    func testPreVoteDoesNotIncrementTerm() {
        var node = makeNode(id: 1, voters: [1, 2, 3], entries: [], term: 5)
        for _ in 0..<20 where node.role == .follower { node.tick() }
        XCTAssertEqual(node.role, .preCandidate)
        XCTAssertEqual(node.term, 5)
        let ready = drain(&node)
        XCTAssertNil(ready.hardState, "a poll changes no persistent state")
        for message in ready.messages {
            guard case .requestVote(let request) = message.kind else { return XCTFail("unexpected \(message)") }
            XCTAssertTrue(request.preVote)
            XCTAssertEqual(message.term, 6, "the poll names the term it would campaign in")
        }
        node.step(Message(from: 2, to: 1, term: 6, kind: .voteResponse(preVote: true, granted: true)))
        XCTAssertEqual(node.role, .candidate)
        XCTAssertEqual(node.term, 6)
    }

    /// §6.2: "a leader steps down if an election timeout elapses without a successful round of heartbeats to a
    /// majority of its cluster".
    func testCheckQuorumLeaderStepsDownWithoutMajority() {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.isolate(1)
        for _ in 0..<25 {
            cluster.nodes[1]!.tick()
            cluster.stabilize()
        }
        XCTAssertEqual(cluster.nodes[1]!.role, .follower)
    }

    /// §4.2.3: "if a server receives a RequestVote request within the minimum election timeout of hearing from a
    /// current leader, it does not update its term or grant its vote."
    func testFollowerIgnoresVoteRequestWhileHearingFromLeader() {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        var follower = cluster.nodes[2]!
        let term = follower.term
        let request = VoteRequest(preVote: false, lastIndex: 100, lastTerm: term)
        follower.step(Message(from: 3, to: 2, term: term + 1, kind: .requestVote(request)))
        XCTAssertEqual(follower.term, term)
        XCTAssertTrue(drain(&follower).messages.isEmpty)
    }

    /// §6.4: ReadIndex — "the leader needs to check whether it has been deposed ... by exchanging heartbeats with a
    /// majority", and only then answers with the commit index recorded when the read arrived.
    func testReadIndexWaitsForQuorumHeartbeat() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        try cluster.nodes[1]!.propose([1])
        cluster.stabilize()
        let commit = cluster.nodes[1]!.commitIndex
        cluster.isolate(1)
        try cluster.nodes[1]!.readIndex(context: 77)
        cluster.stabilize()
        XCTAssertEqual(cluster.readStates[1] ?? [], [], "no answer without a quorum")
        cluster.heal()
        cluster.nodes[1]!.tick()
        cluster.stabilize()
        XCTAssertEqual(cluster.readStates[1], [ReadState(index: commit, context: 77)])
    }

    /// §6.4 step 1: a new leader may answer reads only once it committed an entry of its own term.
    func testReadIndexRefusedByFollowers() {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        XCTAssertThrowsError(try cluster.nodes[2]!.readIndex(context: 1)) { error in
            XCTAssertEqual((error as? RaftError)?.code, .notLeader)
            XCTAssertEqual((error as? RaftError)?.leaderHint, 1)
        }
    }

    /// §6.4.1 leases: while a quorum acknowledged a heartbeat within the lease, reads need no round trip; once it
    /// expires (bounded clock drift assumed) the leader falls back to a heartbeat round.
    func testLeaseReadAnsweredLocallyWhileLeaseHolds() throws {
        var cluster = TestCluster(voters: [1, 2, 3]) { $0.readMode = .lease }
        cluster.elect(1)
        cluster.nodes[1]!.tick()
        cluster.stabilize()
        try cluster.nodes[1]!.readIndex(context: 5)
        cluster.isolate(1)
        cluster.stabilize()
        XCTAssertEqual(cluster.readStates[1]?.map(\.context), [5], "answered without a heartbeat round")
        for _ in 0..<9 {
            cluster.nodes[1]!.tick()
            cluster.stabilize()
        }
        try cluster.nodes[1]!.readIndex(context: 6)
        cluster.stabilize()
        XCTAssertEqual(cluster.readStates[1]?.map(\.context), [5], "lease expired: needs a quorum again")
    }

    /// §3.10: "The prior leader sends a TimeoutNow request to the target server ... the target server starts a new
    /// election" after first bringing the target's log up to date.
    func testLeadershipTransferCatchesUpThenTimesOutNow() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.isolate(3)
        for value in 1...5 { try cluster.nodes[1]!.propose([UInt8(value)]) }
        cluster.stabilize()
        cluster.heal()
        try cluster.nodes[1]!.transferLeadership(to: 3)
        XCTAssertThrowsError(try cluster.nodes[1]!.propose([9]), "proposals pause during a transfer")
        cluster.stabilize()
        XCTAssertEqual(cluster.nodes[3]!.role, .leader)
        XCTAssertEqual(cluster.nodes[1]!.role, .follower)
        XCTAssertEqual(cluster.nodes[3]!.commitIndex, cluster.nodes[3]!.lastIndex)
        XCTAssertTrue(
            cluster.sent.contains { $0.kind == .timeoutNow && $0.to == 3 },
            "TimeoutNow was sent only after catching up"
        )
    }

    /// §3.10: "If the transfer does not complete within about one election timeout, the prior leader aborts the
    /// transfer and resumes accepting client requests."
    func testLeadershipTransferAbortsAfterElectionTimeout() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.isolate(3)
        try cluster.nodes[1]!.propose([1])
        cluster.stabilize()
        try cluster.nodes[1]!.transferLeadership(to: 3)
        XCTAssertThrowsError(try cluster.nodes[1]!.propose([2]))
        for _ in 0..<10 {
            cluster.nodes[1]!.tick()
            cluster.nodes[2]!.tick()
            cluster.stabilize()
        }
        XCTAssertEqual(cluster.nodes[1]!.role, .leader)
        XCTAssertNoThrow(try cluster.nodes[1]!.propose([3]), "the transfer was abandoned")
    }
}
