import FleetAPI
import Foundation
import SatelliteProtocol

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

    static func judge(_ satellite: SatelliteRecord, in rollout: RolloutRecord, wave: Int, now: Date) -> Standing {
        let index = wave - 1
        guard rollout.waveRevisions.indices.contains(index), rollout.waveReachedAt.indices.contains(index) else {
            return .pending
        }
        if let sync = satellite.report?.lastSync, sync.failed,
            let finished = sync.finishedAt, Fleet.milliseconds(finished) >= rollout.waveReachedAt[index]
        {
            return .failed
        }
        if satellite.state(now: now) != "online" { return .offline }
        return (satellite.appliedGeneration ?? -1) >= rollout.waveRevisions[index] ? .applied : .pending
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
    @discardableResult
    public func advance() async throws -> Int {
        let rollouts = try await store.read { records in
            try await records.rollouts.inEffect().filter { $0.state == .running || $0.state == .soaking }
        }
        var moved = 0
        for rollout in rollouts where try await step(rollout) { moved += 1 }
        return moved
    }

    private func step(_ rollout: RolloutRecord) async throws -> Bool {
        let at = now()
        let (current, satellites) = try await store.read { records in
            let current = Set(try await records.satellites.members(of: rollout.group, limit: Int.max))
            let reached = rollout.members.filter { $0.wave <= rollout.wave && current.contains($0.name) }
            return (reached, try await records.satellites.named(in: reached.map(\.name)))
        }
        let records = Dictionary(satellites.map { ($0.name, $0) }) { first, _ in first }
        let standings = current.map { member in
            (
                member.name,
                records[member.name].map { RolloutGate.judge($0, in: rollout, wave: member.wave, now: at) }
                    ?? .offline
            )
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
