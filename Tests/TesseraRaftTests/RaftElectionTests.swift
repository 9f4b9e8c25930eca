import TesseraRaft
import XCTest

/// Election rules of the Raft paper (§5.1, §5.2, §5.4.1); each test cites the sentence it checks.
final class RaftElectionTests: XCTestCase {
    private func noPreVote(_ config: inout RaftConfig) { config.preVote = false }

    /// §5.2: "When servers start up, they begin as followers."
    func testServersStartAsFollowers() {
        let node = makeNode(id: 1, voters: [1, 2, 3], entries: [], term: 0)
        XCTAssertEqual(node.role, .follower)
        XCTAssertNil(node.leader)
    }

    /// §5.1: "If a server receives a request with a stale term number, it rejects the request" and Figure 2:
    /// "If RPC request or response contains term T > currentTerm: set currentTerm = T, convert to follower".
    func testHigherTermConvertsToFollowerAndStaleTermIsRejected() {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        var leader = cluster.nodes[1]!
        let term = leader.term
        leader.step(Message(from: 2, to: 1, term: term + 5, kind: .heartbeatResponse(round: 0)))
        XCTAssertEqual(leader.role, .follower)
        XCTAssertEqual(leader.term, term + 5)

        var follower = cluster.nodes[2]!
        _ = drain(&follower)
        let request = AppendRequest(prevIndex: 0, prevTerm: 0, entries: [], commit: 0)
        follower.step(Message(from: 3, to: 2, term: term - 1, kind: .appendEntries(request)))
        let ready = drain(&follower)
        XCTAssertEqual(follower.term, term)
        XCTAssertEqual(ready.messages.first?.term, term, "the stale sender learns the newer term")
        guard case .appendResponse(let response)? = ready.messages.first?.kind else { return XCTFail("no answer") }
        XCTAssertFalse(response.success)
    }

    /// §5.2: "If a follower receives no communication over a period of time called the election timeout, then
    /// it assumes there is no viable leader and begins an election ... it increments its current term and
    /// transitions to candidate state. It then votes for itself and issues RequestVote RPCs in parallel".
    func testFollowerStartsElectionAfterTimeout() {
        var node = makeNode(id: 1, voters: [1, 2, 3], entries: [], term: 1, configure: noPreVote)
        for _ in 0..<20 { node.tick() }
        XCTAssertEqual(node.role, .candidate)
        XCTAssertEqual(node.term, 2)
        XCTAssertEqual(node.vote, 1)
        let ready = drain(&node)
        XCTAssertEqual(ready.hardState?.vote, 1, "the vote is persisted with the Ready that sends the requests")
        let targets = ready.messages.compactMap { message -> NodeID? in
            if case .requestVote(let request) = message.kind, !request.preVote { return message.to }
            return nil
        }
        XCTAssertEqual(targets.sorted(), [2, 3])
    }

    /// §5.2: "Raft uses randomized election timeouts to ensure that split votes are rare ... chosen randomly
    /// from a fixed interval"; here [electionTicks, 2 * electionTicks).
    func testElectionTimeoutIsRandomizedWithinInterval() {
        var seen = Set<Int>()
        for seed in 0..<50 {
            var node = makeNode(id: 1, voters: [1, 2, 3], entries: [], term: 1) { config in
                config.preVote = false
                config.randomSeed = UInt64(seed)
            }
            var ticks = 0
            while node.role == .follower {
                node.tick()
                ticks += 1
            }
            XCTAssertGreaterThanOrEqual(ticks, 10)
            XCTAssertLessThan(ticks, 20)
            seen.insert(ticks)
        }
        XCTAssertGreaterThan(seen.count, 3, "timeouts must vary with the seed")
    }

    /// §5.2: "A candidate wins an election if it receives votes from a majority of the servers in the full
    /// cluster for the same term."
    func testCandidateWinsWithMajority() {
        var node = makeNode(id: 1, voters: [1, 2, 3, 4, 5], entries: [], term: 1, configure: noPreVote)
        for _ in 0..<20 where node.role == .follower { node.tick() }
        _ = drain(&node)
        node.step(Message(from: 2, to: 1, term: 2, kind: .voteResponse(preVote: false, granted: true)))
        XCTAssertEqual(node.role, .candidate, "two of five is not a majority")
        node.step(Message(from: 3, to: 1, term: 2, kind: .voteResponse(preVote: false, granted: true)))
        XCTAssertEqual(node.role, .leader)
    }

    /// §5.2: "each server will vote for at most one candidate in a given term, on a first-come-first-served basis".
    func testVoterGrantsAtMostOneVotePerTerm() {
        var voter = makeNode(id: 1, voters: [1, 2, 3], entries: [], term: 1, configure: noPreVote)
        let request = VoteRequest(preVote: false, lastIndex: 0, lastTerm: 0)
        voter.step(Message(from: 2, to: 1, term: 2, kind: .requestVote(request)))
        voter.step(Message(from: 3, to: 1, term: 2, kind: .requestVote(request)))
        voter.step(Message(from: 2, to: 1, term: 2, kind: .requestVote(request)))
        let answers = drain(&voter).messages.map { ($0.to, $0.kind) }
        XCTAssertEqual(answers.count, 3)
        XCTAssertEqual(answers[0].1, .voteResponse(preVote: false, granted: true))
        XCTAssertEqual(answers[1].1, .voteResponse(preVote: false, granted: false))
        XCTAssertEqual(answers[2].1, .voteResponse(preVote: false, granted: true), "repeating the vote is allowed")
        XCTAssertEqual(voter.vote, 2)
    }

    /// §5.4.1: "the voter denies its vote if its own log is more up-to-date than that of the candidate ... If the
    /// logs have last entries with different terms, then the log with the later term is more up-to-date. If the
    /// logs end with the same term, then whichever log is longer is more up-to-date."
    func testVoterDeniesCandidateWithLessUpToDateLog() {
        let cases: [(lastIndex: LogIndex, lastTerm: Term, granted: Bool)] = [
            (3, 1, false),  // older last term
            (1, 2, false),  // same term, shorter
            (2, 2, true),  // same term, same length
            (3, 2, true),  // same term, longer
            (1, 3, true),  // later term, shorter
        ]
        for item in cases {
            var voter = makeNode(id: 1, voters: [1, 2, 3], entries: [(1, 1), (2, 2)], term: 2, configure: noPreVote)
            let request = VoteRequest(preVote: false, lastIndex: item.lastIndex, lastTerm: item.lastTerm)
            voter.step(Message(from: 2, to: 1, term: 3, kind: .requestVote(request)))
            let answer = drain(&voter).messages.first?.kind
            XCTAssertEqual(answer, .voteResponse(preVote: false, granted: item.granted), "\(item)")
        }
    }

    /// §5.2: "If the AppendEntries RPC is from a leader whose term is at least as large as the candidate's
    /// current term, then the candidate recognizes the leader as legitimate and returns to follower state."
    func testCandidateReturnsToFollowerOnLeaderAppend() {
        var node = makeNode(id: 1, voters: [1, 2, 3], entries: [], term: 1, configure: noPreVote)
        for _ in 0..<20 where node.role == .follower { node.tick() }
        XCTAssertEqual(node.role, .candidate)
        _ = drain(&node)
        let request = AppendRequest(prevIndex: 0, prevTerm: 0, entries: [], commit: 0)
        node.step(Message(from: 2, to: 1, term: node.term, kind: .appendEntries(request)))
        XCTAssertEqual(node.role, .follower)
        XCTAssertEqual(node.leader, 2)
    }

    /// §5.2: "The third possible outcome is that a candidate neither wins nor loses the election ... each
    /// candidate will time out and start a new election by incrementing its term".
    func testCandidateStartsNewElectionAfterSplitVote() {
        var node = makeNode(id: 1, voters: [1, 2, 3], entries: [], term: 1, configure: noPreVote)
        for _ in 0..<20 where node.role == .follower { node.tick() }
        let firstTerm = node.term
        _ = drain(&node)
        for _ in 0..<20 where node.term == firstTerm { node.tick() }
        XCTAssertEqual(node.role, .candidate)
        XCTAssertEqual(node.term, firstTerm + 1)
    }

    /// §5.2: "Leaders send periodic heartbeats (AppendEntries RPCs that carry no log entries) to all followers in
    /// order to maintain their authority."
    func testLeaderSendsHeartbeatsEveryHeartbeatInterval() {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        var leader = cluster.nodes[1]!
        leader.tick()
        let beats = drain(&leader).messages.filter {
            if case .heartbeat = $0.kind { return true }
            return false
        }
        XCTAssertEqual(beats.map(\.to).sorted(), [2, 3])
    }

    /// Election safety (Figure 3), end to end: one leader per term across repeated elections.
    func testElectionSafetyAcrossRepeatedElections() {
        var cluster = TestCluster(voters: [1, 2, 3, 4, 5])
        var leaders: [Term: NodeID] = [:]
        for round in 0..<10 {
            let id = NodeID(round % 5 + 1)
            cluster.elect(id)
            let term = cluster.nodes[id]!.term
            XCTAssertNil(leaders[term])
            leaders[term] = id
            for other in cluster.nodes.keys where other != id {
                XCTAssertNotEqual(cluster.nodes[other]!.role, .leader)
            }
            cluster.isolate(id)
            cluster.tickAll(40)
            cluster.heal()
            cluster.tickAll(40)
        }
    }
}
