import FleetAPI
import Foundation

/// Rollouts: their views, the operator's actions, and the gate that moves each wave on.
public struct RolloutService: FleetService {
    let fleet: Fleet
}

extension Fleet {
    public var rollouts: RolloutService { RolloutService(fleet: self) }
}

extension RolloutService {
    /// Rollouts newest first, of one group or all.
    public func list(group: String? = nil, limit: Int = 100) async throws -> [RolloutView] {
        let limit = max(1, min(limit, 1000))
        let (rollouts, satellites) = try await store.read { records in
            let rollouts = try await records.rollouts.all(group: group, limit: limit)
            return (rollouts, try await Self.members(of: rollouts, records))
        }
        return rollouts.map { view(of: $0, satellites: satellites) }
    }

    /// A rollout by id, or the latest of the group of that name.
    public func named(_ reference: String) async throws -> RolloutView {
        let (rollout, satellites) = try await store.read { records in
            let rollout = try await Self.find(reference, records)
            return (rollout, try await Self.members(of: [rollout], records))
        }
        return view(of: rollout, satellites: satellites)
    }

    /// Holds a running or soaking rollout where it is until it is resumed.
    @discardableResult
    public func pause(_ reference: String, by actor: Fleet.Actor = .admin) async throws -> RolloutView {
        try await act(on: reference, by: actor, allowed: [.running, .soaking], verb: "paused") { rollout, changes in
            rollout.state = .paused
            rollout.soakStartedAt = nil
            try changes.emit(.rolloutPaused, subject: rollout.group, data: ["rollout": "\(rollout.id)"])
        }
    }

    /// A paused or failed rollout judges its wave again, soak and all.
    @discardableResult
    public func resume(_ reference: String, by actor: Fleet.Actor = .admin) async throws -> RolloutView {
        try await act(on: reference, by: actor, allowed: [.paused, .failed], verb: "resumed") { rollout, _ in
            rollout.state = .running
            rollout.soakStartedAt = nil
            rollout.reason = nil
        }
    }

    /// Every reached member goes back to what it held before: its content is still on its disk.
    @discardableResult
    public func abort(_ reference: String, by actor: Fleet.Actor = .admin) async throws -> RolloutView {
        try await act(on: reference, by: actor, allowed: [.running, .soaking, .paused, .failed], verb: "aborted") {
            rollout, changes in
            for member in rollout.members where member.wave <= rollout.wave {
                try await changes.touch(satellite: member.name)
            }
            rollout.state = .aborted
            rollout.reason = "aborted by \(changes.actor): every member holds what it held before wave 1"
            try changes.emit(.rolloutAborted, subject: rollout.group, data: ["rollout": "\(rollout.id)"])
        }
    }

    /// Reaches the next wave now, whatever its gate says (the last: completes it).
    @discardableResult
    public func promote(_ reference: String, by actor: Fleet.Actor = .admin) async throws -> RolloutView {
        try await act(on: reference, by: actor, allowed: [.running, .soaking, .paused, .failed], verb: "promoted") {
            rollout, changes in
            try await Self.advance(&rollout, &changes)
        }
    }

    /// Runs an operator's action on an open rollout, audited.
    private func act(
        on reference: String, by actor: Fleet.Actor, allowed: Set<RolloutState>, verb: String,
        _ body: @Sendable (inout RolloutRecord, inout FleetChangeSet) async throws -> Void
    ) async throws -> RolloutView {
        let id = try await change(by: actor) { changes in
            let read = try await Self.find(reference, changes.records)
            guard allowed.contains(read.state) else {
                let states = allowed.map(\.rawValue).sorted().joined(separator: ", ")
                throw GroundControlError(
                    .rolloutFinished,
                    "rollout \(read.id) is \(read.state.rawValue): only a \(states) one can be \(verb)"
                )
            }
            var rollout = read
            try await body(&rollout, &changes)
            try await changes.save(rollout, from: read)
            changes.audit("rollout.\(verb)", read.group, "rollout \(read.id) at wave \(read.wave) of \(read.waveCount)")
            return read.id
        }
        return try await named("\(id)")
    }

    /// Reaches the rollout's next wave (skipping empty ones, which have nothing to wait for),
    /// or completes it after the last.
    static func advance(_ rollout: inout RolloutRecord, _ changes: inout FleetChangeSet) async throws {
        try changes.emit(
            .rolloutWaveCompleted, subject: rollout.group,
            data: ["rollout": "\(rollout.id)", "wave": "\(rollout.wave)"])
        rollout.soakStartedAt = nil
        rollout.reason = nil
        while rollout.wave < rollout.waveCount {
            rollout.wave += 1
            let revision = try await changes.revision()
            rollout.waveRevisions.append(revision)
            rollout.waveReachedAt.append(changes.timestamp)
            let reached = rollout.members.filter { $0.wave == rollout.wave }
            for member in reached { try await changes.touch(satellite: member.name) }
            if !reached.isEmpty {
                rollout.state = .running
                changes.audit("rollout.wave", rollout.group, "rollout \(rollout.id) reached wave \(rollout.wave)")
                return
            }
        }
        rollout.state = .completed
        changes.audit("rollout.complete", rollout.group, "rollout \(rollout.id)")
        try changes.emit(.rolloutCompleted, subject: rollout.group, data: ["rollout": "\(rollout.id)"])
    }

    static func find(_ reference: String, _ records: FleetRecords) async throws -> RolloutRecord {
        if let id = Int64(reference) {
            guard let rollout = try await records.rollouts.named(id) else {
                throw GroundControlError(.rolloutUnknown, "rollout \(id) does not exist")
            }
            return rollout
        }
        guard let rollout = try await records.rollouts.latest(of: reference) else {
            throw GroundControlError(.rolloutUnknown, "group '\(reference.prefix(80))' has had no rollout")
        }
        return rollout
    }

    /// The members of the rollouts' groups as the gate sees them, by group and name.
    static func members(
        of rollouts: [RolloutRecord], _ records: FleetRecords
    ) async throws -> [String: [String: RolloutGateRow]] {
        var members: [String: [String: RolloutGateRow]] = [:]
        for group in Set(rollouts.map(\.group)) {
            members[group] = Dictionary(try await records.rollouts.gateRows(ofGroup: group).map { ($0.name, $0) }) {
                first, _ in first
            }
        }
        return members
    }

    func view(of rollout: RolloutRecord, satellites: [String: [String: RolloutGateRow]]) -> RolloutView {
        let at = now()
        let progress = (1...max(rollout.waveCount, 1)).map { wave in
            let members = rollout.members.filter { $0.wave == wave }.map(\.name)
            let reached = wave <= rollout.wave && rollout.state != .aborted
            let judged = members.compactMap { satellites[rollout.group]?[$0] }.map {
                RolloutGate.judge($0, in: rollout, wave: wave, now: at)
            }
            return RolloutWaveView(
                wave: wave, members: members, reached: reached,
                reachedAt: rollout.waveReachedAt.indices.contains(wave - 1)
                    ? Self.date(rollout.waveReachedAt[wave - 1]) : nil,
                applied: reached ? judged.filter { $0 == .applied }.count : 0,
                failed: reached ? judged.filter { $0 == .failed || $0 == .offline }.count : 0)
        }
        var view = RolloutView(
            id: rollout.id, group: rollout.group, state: rollout.state.rawValue, policy: rollout.policy.description,
            wave: rollout.wave, waves: rollout.waveCount, createdAt: Self.date(rollout.createdAt),
            updatedAt: Self.date(rollout.updatedAt), progress: progress)
        view.soakEndsAt = rollout.soakStartedAt.map {
            Self.date($0).addingTimeInterval(TimeInterval(rollout.policy.soakSeconds))
        }
        view.reason = rollout.reason
        view.supersedes = rollout.supersedes
        return view
    }
}
