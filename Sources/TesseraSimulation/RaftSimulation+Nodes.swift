import TesseraRaft

extension RaftSimulation {
    /// Drains a node's output the way a real server must: persist, then send, then apply. Checks the safety
    /// properties on everything that changed.
    mutating func drive(_ id: NodeID) throws(SimulationFailure) {
        let position = Int(id - 1)
        while nodes[position].raft?.hasReady == true {
            let ready = nodes[position].raft!.ready()
            if ready.role == .leader, nodes[position].lastRole != .leader, leaderCrashDelayMs == 0, !healed {
                // The new leader stores its first entries but dies before a single message leaves.
                leaderCrashDelayMs = nil
                nodes[position].crashArmed = .beforeSend
            }
            if let point = nodes[position].crashArmed, point != .idle {
                crash(id, at: point, during: ready)
                return
            }
            if let snapshot = ready.snapshot {
                stats.snapshotsInstalled += 1
                try checker.observeSnapshot(snapshot, on: id)
                nodes[position].storage.save(snapshot: snapshot)
                nodes[position].stateMachine = KVStateMachine(snapshot: snapshot)
            }
            try checker.observeAppend(ready.entries, on: id)
            nodes[position].storage.append(ready.entries)
            if let hardState = ready.hardState {
                if let vote = hardState.vote,
                    vote != nodes[position].storage.hardState.vote
                        || hardState.term
                            != nodes[position].storage.hardState.term
                {
                    record("node \(id) voted for \(vote) in term \(hardState.term)")
                }
                if hardState.commit < nodes[position].storage.hardState.commit {
                    throw SimulationFailure(.commitRegressed, "node \(id) persisted a lower commit index")
                }
                nodes[position].storage.save(hardState: hardState)
            }
            for message in ready.messages { send(message) }
            for entry in ready.committedEntries {
                try checker.observeApply(entry, by: id)
                if let (command, output) = nodes[position].stateMachine.apply(entry) {
                    completeWrite(command, output, at: id)
                }
            }
            nodes[position].waitingReads.append(contentsOf: ready.readStates)
            serveReads(at: id)
            nodes[position].raft!.advance(ready)
            let raft = nodes[position].raft!
            if raft.role != nodes[position].lastRole || raft.term != nodes[position].lastTerm {
                nodes[position].lastRole = raft.role
                nodes[position].lastTerm = raft.term
                record("node \(id) is \(raft.role) in term \(raft.term)")
                if raft.role == .leader { stats.elections += 1 }
                if raft.role == .leader, let delay = leaderCrashDelayMs, !healed {
                    leaderCrashDelayMs = nil
                    queue.push(.crash(id, nodes[position].incarnation), at: now + delay)
                }
            }
            try checker.observeRole(of: raft)
            try checker.observeCommit(of: raft)
            maybeCompact(id)
        }
    }

    private mutating func maybeCompact(_ id: NodeID) {
        let position = Int(id - 1)
        guard let raft = nodes[position].raft, raft.appliedIndex >= raft.snapshot.index + 24 else { return }
        let snapshot = nodes[position].raft!.compact(
            through: raft.appliedIndex,
            data: nodes[position].stateMachine.encoded()
        )
        nodes[position].storage.save(snapshot: snapshot)
    }

    mutating func send(_ message: Message) {
        for delay in network.delays(random: &random) {
            queue.push(.deliver(message), at: now + delay)
        }
    }

    /// Crashes `id`; with `ready`, only the part of it the crash point allows reaches the disk.
    mutating func crash(_ id: NodeID, at point: CrashPoint, during ready: Ready? = nil) {
        let position = Int(id - 1)
        if let ready {
            switch point {
            case .beforePersist, .idle:
                break
            case .tornAppend(let count):
                if let snapshot = ready.snapshot { nodes[position].storage.save(snapshot: snapshot) }
                nodes[position].storage.append(Array(ready.entries.prefix(count)))
            case .beforeSend:
                if let snapshot = ready.snapshot { nodes[position].storage.save(snapshot: snapshot) }
                nodes[position].storage.append(ready.entries)
                if let hardState = ready.hardState { nodes[position].storage.save(hardState: hardState) }
            }
        }
        nodes[position].raft = nil
        nodes[position].crashArmed = nil
        stats.crashes += 1
        record("node \(id) crashed (\(point))")
        for client in clients.indices where clients[client].pending?.node == id {
            giveUp(client, reason: "node \(id) crashed")
        }
    }

    mutating func restart(_ id: NodeID) throws(SimulationFailure) {
        start(id)
        record("node \(id) restarted")
        try checker.nodeRestarted(nodes[Int(id - 1)].raft!)
        try drive(id)
    }

    /// Carries out one scheduled fault.
    mutating func inject(_ action: FaultAction) throws(SimulationFailure) {
        let live = nodes.filter(\.isUp).map(\.id)
        let leader = nodes.first { $0.raft?.role == .leader }?.id
        record("fault: \(action)")
        switch action {
        case .crash(let pick, let onLeader, let point):
            guard !live.isEmpty else { return }
            let target = onLeader ? (leader ?? live[pick % live.count]) : live[pick % live.count]
            if point == .idle {
                crash(target, at: .idle)
            } else {
                nodes[Int(target - 1)].crashArmed = point
            }
        case .restart(let pick):
            let down = nodes.filter { !$0.isUp }.map(\.id)
            guard !down.isEmpty else { return }
            try restart(down[pick % down.count])
        case .partition(let mask, let oneWay):
            for a in nodes where mask & (1 << UInt32(a.id - 1)) != 0 {
                for b in nodes where mask & (1 << UInt32(b.id - 1)) == 0 {
                    network.block(from: a.id, to: b.id)
                    if !oneWay { network.block(from: b.id, to: a.id) }
                }
            }
        case .isolateLeader:
            guard let leader else { return }
            for other in nodes where other.id != leader {
                network.block(from: leader, to: other.id)
                network.block(from: other.id, to: leader)
            }
        case .healNetwork:
            network.heal()
        case .transferLeadership(let pick):
            guard let leader, let raft = nodes[Int(leader - 1)].raft else { return }
            let others = raft.membership.voters.filter { $0 != leader }
            guard !others.isEmpty else { return }
            if (try? nodes[Int(leader - 1)].raft!.transferLeadership(to: others[pick % others.count])) != nil {
                stats.transfers += 1
            }
            try drive(leader)
        case .reconfigure(let pick):
            guard let leader else { return }
            try reconfigure(leader: leader, pick: pick)
        case .crashNextLeader(let delay):
            leaderCrashDelayMs = UInt64(delay)
        }
    }

    /// One step of membership churn: promote a caught-up learner, add a learner, or remove a voter.
    private mutating func reconfigure(leader: NodeID, pick: Int) throws(SimulationFailure) {
        let position = Int(leader - 1)
        let membership = nodes[position].raft!.membership
        let change: MembershipChange
        if let learner = membership.learners.first {
            change = pick % 3 == 0 ? .remove(learner) : .addVoter(learner)
        } else if membership.voters.count <= options.nodes - 1
            || (pick % 2 == 0 && membership.voters.count <= options.nodes)
        {
            let id = addNode(membership: .empty, phase: UInt64(random.int(in: 0...Int(options.tickMs - 1))))
            change = .addLearner(id)
        } else {
            change = .remove(membership.voters[pick % membership.voters.count])
        }
        do {
            try nodes[position].raft!.proposeMembershipChange(change)
            stats.membershipChanges += 1
            record("leader \(leader) proposed \(change)")
        } catch {
            record("leader \(leader) refused \(change): \(error.code)")
        }
        try drive(leader)
    }
}
