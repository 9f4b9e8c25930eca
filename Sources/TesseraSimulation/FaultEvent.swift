import TesseraRaft

/// A fault at a virtual time.
public struct FaultEvent: Sendable, Hashable, CustomStringConvertible {
    /// When it fires, in virtual milliseconds.
    public var timeMs: UInt64
    /// What it does.
    public var action: FaultAction

    /// A short description.
    public var description: String { "t=\(timeMs)ms \(action)" }

    /// Draws a schedule for one run; the network's loss and duplication rates are drawn separately.
    static func schedule(options: SimulationOptions, random: inout SimulationRandom) -> [FaultEvent] {
        var events: [FaultEvent] = []
        let count = random.int(in: 0...(2 * options.faultEvents))
        for _ in 0..<count {
            let time = UInt64(random.int(in: 100...Int(options.chaosMs - 50)))
            let pick = random.int(in: 0...63)
            let action: FaultAction
            switch random.int(in: 0...13) {
            case 0, 1:
                let points: [CrashPoint] = [
                    .beforePersist, .tornAppend(entries: random.int(in: 0...3)), .beforeSend, .idle,
                ]
                action = .crash(pick: pick, leader: random.chance(0.5), at: random.pick(points))
            case 2, 3: action = .restart(pick: pick)
            case 4: action = .partition(mask: UInt32(random.int(in: 1...62)), oneWay: random.chance(0.4))
            case 5: action = .isolateLeader
            case 6, 7: action = .healNetwork
            case 8, 9: action = options.reconfigure ? .transferLeadership(pick: pick) : .healNetwork
            case 10, 11: action = .crashNextLeader(afterMs: random.chance(0.4) ? 0 : random.int(in: 1...40))
            default: action = options.reconfigure ? .reconfigure(pick: pick) : .restart(pick: pick)
            }
            events.append(FaultEvent(timeMs: time, action: action))
        }
        return events.sorted { $0.timeMs < $1.timeMs }
    }
}
