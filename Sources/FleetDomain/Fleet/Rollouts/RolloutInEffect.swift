/// A rollout as the fleet configuration applies it: which members it has reached.
struct RolloutInEffect: Sendable {
    let record: RolloutRecord
    private let waves: [String: Int]

    init(_ record: RolloutRecord) {
        self.record = record
        waves = Dictionary(record.members.map { ($0.name, $0.wave) }) { first, _ in first }
    }

    /// Whether `member` holds the group's content (else the baseline): its wave was reached, and
    /// the rollout was not aborted.
    func reaches(_ member: String) -> Bool {
        guard record.state != .aborted, let wave = waves[member] else { return false }
        return wave <= record.wave
    }

    /// The group as `member` holds it. A member reached counts from when its wave was, so its
    /// generation moves then; one not reached keeps the baseline's revision. Every step that
    /// changes what a member holds also stamps its row, so no member's generation ever falls.
    func group(_ group: GroupRecord, seenBy member: String) -> GroupRecord {
        guard reaches(member), let wave = waves[member] else {
            return group.holding(record.baseline, at: record.baselineRevision)
        }
        var reached = group
        let waveRevision = record.waveRevisions.indices.contains(wave - 1) ? record.waveRevisions[wave - 1] : 0
        reached.revision = max(group.revision, waveRevision)
        return reached
    }
}
