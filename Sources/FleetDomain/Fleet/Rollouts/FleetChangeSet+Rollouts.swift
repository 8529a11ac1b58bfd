import FleetAPI

extension FleetChangeSet {
    /// A group was put or its tags resolved anew: with a rollout policy and new content, a
    /// rollout starts, or carries on from the wave the one under way reached; without a policy,
    /// any rollout in effect ends and every member holds the group as it is.
    mutating func groupChanged(to group: GroupRecord, from previous: GroupRecord?) async throws {
        let latest = try await records.rollouts.latest(of: group.name)
        let inEffect = latest.flatMap { $0.state.inEffect ? $0 : nil }
        guard let policy = group.rollout else {
            if let inEffect {
                try await end(inEffect, "the group's rollout policy was removed: every member holds the group")
            }
            return
        }
        guard let previous, previous.content != group.content else { return }
        let baseline = inEffect?.baseline ?? previous.content
        let baselineRevision = inEffect?.baselineRevision ?? previous.revision
        guard group.content != baseline else {
            if let inEffect { try await end(inEffect, "the group is back to what its members held before") }
            return
        }
        // Carried on from an open one's wave; from the first after an abort, which left every
        // member on the baseline.
        let reached = inEffect.flatMap { $0.state.isOpen ? $0.wave : nil } ?? 1
        let members = policy.members(try await candidates(of: group.name))
        let at = timestamp
        var rollout = RolloutRecord(
            group: group.name, state: .running, policy: policy, wave: reached, members: members,
            baseline: baseline, baselineRevision: baselineRevision, targetRevision: group.revision,
            waveRevisions: Array(repeating: group.revision, count: reached),
            waveReachedAt: Array(repeating: at, count: reached), soakStartedAt: nil, reason: nil,
            supersedes: inEffect?.state.isOpen == true ? inEffect?.id : nil, createdAt: at, updatedAt: at)
        if let inEffect, inEffect.state.isOpen {
            var superseded = inEffect
            superseded.state = .superseded
            superseded.reason = "a newer change to the group carries on from wave \(inEffect.wave)"
            try await save(superseded, from: inEffect)
        }
        rollout = try await records.rollouts.create(rollout)
        audit("rollout.start", group.name, "rollout \(rollout.id): \(policy), from wave \(reached)")
        try emit(
            .rolloutStarted, subject: group.name,
            data: ["rollout": "\(rollout.id)", "wave": "\(reached)", "waves": "\(rollout.waveCount)"])
    }

    /// A satellite joined groups: in each with an open rollout it takes the wave its place in
    /// the policy's order gives, and holds what that wave holds.
    mutating func joined(_ candidate: RolloutCandidate, groups: [String]) async throws {
        try await joined([(candidate, groups)])
    }

    /// Satellites joined groups (created together): each group's rollout is read and saved once.
    mutating func joined(_ joining: [(candidate: RolloutCandidate, groups: [String])]) async throws {
        var byGroup: [String: [RolloutCandidate]] = [:]
        for (candidate, groups) in joining {
            for group in groups { byGroup[group, default: []].append(candidate) }
        }
        for (group, candidates) in byGroup.sorted(by: { $0.key < $1.key }) {
            guard let rollout = try await records.rollouts.latest(of: group), rollout.state.isOpen else { continue }
            var placed = rollout
            var members = Set(rollout.members.map(\.name))
            for candidate in candidates where members.insert(candidate.name).inserted {
                let wave = rollout.policy.wave(ofNewcomer: candidate, among: placed.members)
                placed.members.append(
                    RolloutMember(name: candidate.name, key: rollout.policy.key(of: candidate), wave: wave))
            }
            if placed.members.count > rollout.members.count { try await save(placed, from: rollout) }
        }
    }

    /// A group was deleted: its rollout in effect ends, so a group made later under the name
    /// starts from its own content.
    mutating func groupDeleted(_ group: String) async throws {
        guard let latest = try await records.rollouts.latest(of: group), latest.state.inEffect else { return }
        try await end(latest, "the group was deleted")
    }

    /// Ends a rollout in effect without rolling further: every member holds the group as it is.
    private mutating func end(_ rollout: RolloutRecord, _ reason: String) async throws {
        var ended = rollout
        ended.state = .superseded
        ended.reason = reason
        try await save(ended, from: rollout)
        audit("rollout.end", rollout.group, "rollout \(rollout.id): \(reason)")
    }

    /// Writes a rollout read in this change; another change to it first is a conflict to retry.
    mutating func save(_ rollout: RolloutRecord, from read: RolloutRecord) async throws {
        var rollout = rollout
        rollout.updatedAt = timestamp
        guard try await records.rollouts.update(rollout, from: read.version) else {
            throw GroundControlError(
                .changed, "rollout \(read.id) of group '\(read.group)' changed meanwhile; try again")
        }
    }

    /// The group's members as a rollout orders them.
    private func candidates(of group: String) async throws -> [RolloutCandidate] {
        let names = try await records.satellites.members(of: group, limit: Int.max)
        return try await records.satellites.named(in: names).map {
            RolloutCandidate(name: $0.name, labels: $0.labels, site: $0.site)
        }
    }
}
