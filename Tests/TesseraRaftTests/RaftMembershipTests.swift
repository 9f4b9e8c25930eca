import TesseraRaft
import XCTest

/// Membership changes (dissertation chapter 4): single-server changes, learners, removal of the leader.
final class RaftMembershipTests: XCTestCase {
    /// §4.1: "The new configuration takes effect on each server as soon as it is added to that server's log".
    func testMembershipTakesEffectWhenAppended() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.stabilize()
        cluster.isolate(2)
        cluster.isolate(3)
        try cluster.nodes[1]!.proposeMembershipChange(.addLearner(4))
        XCTAssertEqual(cluster.nodes[1]!.membership.learners, [4], "in effect before it commits")
        XCTAssertGreaterThan(cluster.nodes[1]!.lastIndex, cluster.nodes[1]!.commitIndex)
    }

    /// The fix of the single-server algorithm (dissertation errata, §4.1): "a leader may not append a new
    /// configuration entry until it has committed an entry from its current term", and only one change may be
    /// pending at a time.
    func testLeaderRefusesChangeBeforeCommittingInTermAndWhilePending() throws {
        var fresh = makeNode(id: 1, voters: [1, 2, 3], entries: [(1, 1)], term: 1, vote: 1, commit: 1)
        fresh.step(Message(from: 2, to: 1, term: 1, kind: .timeoutNow))
        fresh.step(Message(from: 2, to: 1, term: 2, kind: .voteResponse(preVote: false, granted: true)))
        XCTAssertEqual(fresh.role, .leader)
        XCTAssertThrowsError(try fresh.proposeMembershipChange(.addLearner(4))) { error in
            XCTAssertEqual((error as? RaftError)?.code, .invalidMembershipChange)
        }
        _ = drain(&fresh)
        fresh.step(Message(from: 2, to: 1, term: 2, kind: .appendResponse(AppendResponse(success: true, index: 2))))
        XCTAssertNoThrow(try fresh.proposeMembershipChange(.addLearner(4)))
        XCTAssertThrowsError(try fresh.proposeMembershipChange(.addLearner(5)), "one change at a time") { error in
            XCTAssertEqual((error as? RaftError)?.code, .invalidMembershipChange)
        }
    }

    /// Learners (§4.2.1 "new servers join the cluster as non-voting members"): they receive the log but do not
    /// count towards commitment or elections, and are promoted only once caught up.
    func testLearnerReplicatesWithoutVotingAndIsPromotedWhenCaughtUp() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.add(4, storage: MemoryRaftStorage())
        cluster.elect(1)
        cluster.isolate(4)
        try cluster.nodes[1]!.proposeMembershipChange(.addLearner(4))
        cluster.stabilize()
        XCTAssertEqual(cluster.nodes[1]!.membership.learners, [4])
        XCTAssertThrowsError(try cluster.nodes[1]!.proposeMembershipChange(.addVoter(4))) { error in
            XCTAssertEqual((error as? RaftError)?.code, .learnerNotCaughtUp)
        }
        cluster.heal()
        cluster.tickAll(3)
        XCTAssertEqual(cluster.nodes[4]!.membership.learners, [4])
        XCTAssertFalse(cluster.nodes[4]!.isPromotable, "a learner never campaigns")
        try cluster.nodes[1]!.proposeMembershipChange(.addVoter(4))
        cluster.stabilize()
        XCTAssertEqual(cluster.nodes[4]!.membership.voters, [1, 2, 3, 4])
        // Four voters: the leader now needs three acknowledgements.
        cluster.isolate(2)
        cluster.isolate(3)
        try cluster.nodes[1]!.propose([7])
        cluster.stabilize()
        XCTAssertLessThan(cluster.nodes[1]!.commitIndex, cluster.nodes[1]!.lastIndex)
    }

    /// §4.2.2: a leader removed from the configuration "steps down once the Cnew entry is committed".
    func testRemovedLeaderStepsDownWhenRemovalCommits() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        try cluster.nodes[1]!.proposeMembershipChange(.remove(1))
        XCTAssertEqual(cluster.nodes[1]!.role, .leader, "it manages the cluster until the change commits")
        cluster.stabilize()
        XCTAssertEqual(cluster.nodes[1]!.role, .follower)
        XCTAssertEqual(cluster.nodes[2]!.membership.voters, [2, 3])
        cluster.tickAll(40)
        let leaders = [NodeID(2), 3].filter { cluster.nodes[$0]!.role == .leader }
        XCTAssertEqual(leaders.count, 1, "the remaining voters elect a leader among themselves")
        XCTAssertNotEqual(cluster.nodes[1]!.role, .leader)
    }
}
