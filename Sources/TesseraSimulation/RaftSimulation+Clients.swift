import TesseraRaft

extension RaftSimulation {
    /// Starts a client's next operation, recording its invocation.
    mutating func issue(_ client: Int) throws(SimulationFailure) {
        guard clients[client].pending == nil else { return }
        guard now < healTime + options.settleMs / 2 else { return }
        clients[client].sequence += 1
        if clientRandom.chance(0.2) {
            // Clients do not all follow one leader: some start from any server and are redirected.
            let live = nodes.filter(\.isUp).map(\.id)
            if !live.isEmpty { clients[client].target = live[clientRandom.int(in: 0...(live.count - 1))] }
        }
        let key = UInt8(clientRandom.int(in: 0...(options.keys - 1)))
        let input: KVInput
        switch clientRandom.int(in: 0...9) {
        case 0...3:
            input = .get(key: key)
        case 4...7:
            clients[client].written += 1
            input = .put(key: key, value: UInt64(client + 1) << 32 | clients[client].written)
        default:
            clients[client].written += 1
            let expected = clients[client].lastSeen[key] ?? 0
            input = .cas(key: key, expected: expected, new: UInt64(client + 1) << 32 | clients[client].written)
        }
        historyClock += 1
        history.append(HistoryOperation(client: client, input: input, output: nil, invoke: historyClock, complete: nil))
        discarded.append(false)
        clients[client].pending = SimulatedClient.Pending(input: input, historyIndex: history.count - 1, node: nil)
        if now < healTime {
            // During the faults a client sometimes gives up, leaving an operation whose outcome is unknown.
            queue.push(.clientTimeout(client, clients[client].sequence), at: now + options.clientTimeoutMs)
        }
        try attempt(client)
    }

    /// Sends the current operation to the node the client believes leads; redirects on refusal.
    mutating func attempt(_ client: Int) throws(SimulationFailure) {
        guard var pending = clients[client].pending else { return }
        let target = clients[client].target
        let position = Int(target - 1)
        let sequence = clients[client].sequence
        guard nodes[position].isUp else {
            redirect(client, hint: nil)
            return
        }
        do throws(RaftError) {
            if case .get = pending.input {
                try nodes[position].raft!.readIndex(context: clients[client].token)
            } else {
                let command = KVCommand(client: UInt32(client), operation: sequence, input: pending.input)
                try nodes[position].raft!.propose(command.encoded())
            }
        } catch {
            redirect(client, hint: error.leaderHint)
            return
        }
        pending.node = target
        clients[client].pending = pending
        // If the leader is deposed the request may be dropped silently: ask again later. Reads are idempotent and
        // writes are deduplicated by the state machine's client sessions (dissertation §6.3).
        queue.push(.clientRetry(client, sequence), at: now + 150)
        try drive(target)
    }

    private mutating func redirect(_ client: Int, hint: NodeID?) {
        let live = nodes.filter(\.isUp).map(\.id)
        if let hint, hint != clients[client].target {
            clients[client].target = hint
        } else if !live.isEmpty {
            clients[client].target = live[clientRandom.int(in: 0...(live.count - 1))]
        }
        queue.push(.clientRetry(client, clients[client].sequence), at: now + UInt64(clientRandom.int(in: 2...10)))
    }

    /// Completes a client's write when the node it asked applies the command.
    mutating func completeWrite(_ command: KVCommand, _ output: KVOutput, at id: NodeID) {
        let client = Int(command.client)
        guard client < clients.count, let pending = clients[client].pending, pending.node == id,
            clients[client].sequence == command.operation
        else { return }
        if case .cas(let key, _, let new) = pending.input, output == .swapped(true) {
            clients[client].lastSeen[key] = new
        }
        complete(client, output)
    }

    /// Serves the reads whose index the node's state machine has reached.
    mutating func serveReads(at id: NodeID) {
        let position = Int(id - 1)
        var remaining: [ReadState] = []
        for read in nodes[position].waitingReads {
            guard read.index <= nodes[position].stateMachine.appliedIndex else {
                remaining.append(read)
                continue
            }
            let client = Int(read.context >> 40)
            guard client < clients.count, let pending = clients[client].pending, pending.node == id,
                clients[client].token == read.context, case .get(let key) = pending.input
            else { continue }
            let value = nodes[position].stateMachine.values[key] ?? 0
            clients[client].lastSeen[key] = value
            complete(client, .value(value))
        }
        nodes[position].waitingReads = remaining
    }

    private mutating func complete(_ client: Int, _ output: KVOutput) {
        let pending = clients[client].pending!
        historyClock += 1
        history[pending.historyIndex].output = output
        history[pending.historyIndex].complete = historyClock
        clients[client].pending = nil
        record("client \(client) \(pending.input) -> \(output)")
        queue.push(.clientIssue(client), at: now + UInt64(clientRandom.int(in: 0...30)))
    }

    /// Abandons the current operation: a read is dropped, a write's outcome becomes unknown.
    mutating func giveUp(_ client: Int, reason: String) {
        guard let pending = clients[client].pending else { return }
        if case .get = pending.input { discarded[pending.historyIndex] = true }
        if pending.node == nil {
            // Never accepted by any node: it cannot have taken effect.
            discarded[pending.historyIndex] = true
        }
        clients[client].pending = nil
        record("client \(client) \(pending.input) -> unknown (\(reason))")
        queue.push(.clientIssue(client), at: now + UInt64(clientRandom.int(in: 0...30)))
    }
}
