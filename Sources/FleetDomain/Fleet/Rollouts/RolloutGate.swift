import FleetAPI
import Foundation
import SatelliteProtocol
import Synchronization

/// Whether a rollout's reached members let it move on.
enum RolloutGate {
    /// Where one reached member stands.
    enum Standing: Equatable {
        /// It applied a state with the change.
        case applied
        /// Not yet.
        case pending
        /// A sync failed since its wave was reached.
        case failed
        /// Not heard from within three heartbeats (or no longer registered).
        case offline
    }

    static func judge(_ member: RolloutGateRow, in rollout: RolloutRecord, wave: Int, now: Date) -> Standing {
        let index = wave - 1
        guard rollout.waveRevisions.indices.contains(index), rollout.waveReachedAt.indices.contains(index) else {
            return .pending
        }
        if let failedAt = member.failedSyncAt, failedAt >= rollout.waveReachedAt[index] { return .failed }
        let state = SatelliteRecord.state(
            status: member.status,
            lastSeen: Fleet.lastHeard(member.lastSeen, pollingUntil: member.pollingUntil, now: now),
            registeredAt: member.registeredAt,
            heartbeatSeconds: member.heartbeatSeconds, now: now)
        if state != "online" { return .offline }
        return (member.appliedGeneration ?? -1) >= rollout.waveRevisions[index] ? .applied : .pending
    }

    /// What the gate makes of a running or soaking rollout now: nil to leave it as it is.
    static func decide(
        _ rollout: RolloutRecord, standings: [(name: String, standing: Standing)], now: Int64
    ) -> RolloutRecord? {
        let failed = standings.filter { $0.standing == .failed }
        var next = rollout
        if failed.count > rollout.policy.maxFailed {
            return failing(rollout, failed.map(\.name), of: standings.count, "failed to sync")
        }
        switch rollout.state {
        case .running:
            // Members offline do not hold the wave up; after the soak they count as failed.
            guard !standings.contains(where: { $0.standing == .pending }) else { return nil }
            next.state = .soaking
            next.soakStartedAt = now
            return next
        case .soaking:
            let started = rollout.soakStartedAt ?? now
            guard now >= started + Int64(rollout.policy.soakSeconds) * 1000 else { return nil }
            let short = standings.filter { $0.standing != .applied }
            if short.count > rollout.policy.maxFailed {
                return failing(
                    rollout, short.map(\.name), of: standings.count, "failed, offline or behind after the soak")
            }
            // Moving on is the caller's (it takes a revision and stamps the next wave).
            next.soakStartedAt = nil
            return next
        default:
            return nil
        }
    }

    private static func failing(
        _ rollout: RolloutRecord, _ names: [String], of count: Int, _ what: String
    ) -> RolloutRecord {
        var failed = rollout
        failed.state = .failed
        failed.soakStartedAt = nil
        let listed = names.sorted().prefix(10).joined(separator: ", ") + (names.count > 10 ? ", …" : "")
        failed.reason =
            "\(names.count) of \(count) members reached \(what) (max-failed \(rollout.policy.maxFailed)): \(listed)"
        return failed
    }
}

extension RolloutService {
    /// Judges every running or soaking rollout once, moving on those whose gate holds and
    /// stopping those that failed; returns how many it moved. Several processes may run it at
    /// once: each move is made from the version read, so only one of them makes it.
    ///
    /// With `pacing`, a soaking rollout whose soak ends later is looked at (for failures) only
    /// every `RolloutPacing.failureLook`: the members' rows are the cost of a look.
    @discardableResult
    public func advance(pacing: RolloutPacing? = nil) async throws -> Int {
        let rollouts = try await store.read { records in
            try await records.rollouts.inEffect().filter { $0.state == .running || $0.state == .soaking }
        }
        let at = now()
        var moved = 0
        for rollout in rollouts where pacing?.due(rollout, at: at) ?? true {
            if try await step(rollout) { moved += 1 }
        }
        return moved
    }

    private func step(_ rollout: RolloutRecord) async throws -> Bool {
        let at = now()
        let rows = try await store.read { records in try await records.rollouts.gateRows(ofGroup: rollout.group) }
        let current = Dictionary(rows.map { ($0.name, $0) }) { first, _ in first }
        // Members that left the group are no longer waited for.
        let standings = rollout.members.filter { $0.wave <= rollout.wave }.compactMap { member in
            current[member.name].map { (member.name, RolloutGate.judge($0, in: rollout, wave: member.wave, now: at)) }
        }
        guard let decided = RolloutGate.decide(rollout, standings: standings, now: Self.milliseconds(at)) else {
            return false
        }
        do {
            try await change(by: .groundControl) { changes in
                var next = decided
                if decided.state == .failed {
                    changes.audit("rollout.fail", rollout.group, "rollout \(rollout.id): \(decided.reason ?? "")")
                    try changes.emit(
                        .rolloutFailed, subject: rollout.group,
                        data: ["rollout": "\(rollout.id)", "wave": "\(rollout.wave)", "reason": decided.reason ?? ""])
                } else if rollout.state == .soaking {
                    try await Self.advance(&next, &changes)
                }
                try await changes.save(next, from: rollout)
            }
        } catch let error as GroundControlError where error.code == .changed {
            // Another process, or an operator, moved it first: the next look starts from there.
            return false
        }
        return true
    }
}

/// When each soaking rollout was last looked at, in one process.
public final class RolloutPacing: Sendable {
    /// How often a soak is looked at for failures before it ends.
    static let failureLook: TimeInterval = 2
    private let looked = Mutex<[Int64: (version: Int64, at: Date)]>([:])

    public init() {}

    /// Whether to look at `rollout` now: always while it runs (its members applying start the
    /// soak) and once its soak is over; in between, every `failureLook`.
    func due(_ rollout: RolloutRecord, at now: Date) -> Bool {
        guard rollout.state == .soaking, let started = rollout.soakStartedAt else { return true }
        let ends = Fleet.date(started).addingTimeInterval(TimeInterval(rollout.policy.soakSeconds))
        return looked.withLock { looked in
            if now < ends, let last = looked[rollout.id], last.version == rollout.version,
                now.timeIntervalSince(last.at) < Self.failureLook
            {
                return false
            }
            if looked.count > 10_000 { looked.removeAll() }
            looked[rollout.id] = (rollout.version, now)
            return true
        }
    }
}
