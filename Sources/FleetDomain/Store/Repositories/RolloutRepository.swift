import FleetAPI
import SatelliteProtocol

/// Rollouts of groups' changes, wave by wave. Each is changed only from the version read
/// (`update(_:from:)`), so of several processes judging one rollout only one moves it.
package protocol RolloutRepository: Sendable {
    /// Adds a rollout; returns it with its id.
    func create(_ rollout: RolloutRecord) async throws -> RolloutRecord

    func named(_ id: Int64) async throws -> RolloutRecord?

    /// The group's latest rollout, whatever its state.
    func latest(of group: String) async throws -> RolloutRecord?

    /// Each group's latest rollout while it decides what members hold: running, soaking, paused,
    /// failed or aborted.
    func inEffect() async throws -> [RolloutRecord]

    /// Rollouts newest first, of one group or all.
    func all(group: String?, limit: Int) async throws -> [RolloutRecord]

    /// Writes the rollout if it is still at `version`, moving it to `version + 1`; false when
    /// another change came first.
    func update(_ rollout: RolloutRecord, from version: Int64) async throws -> Bool

    /// What the gate needs of each member of `group`, read without decoding reports: the gate
    /// looks twice a second.
    func gateRows(ofGroup group: String) async throws -> [RolloutGateRow]
}

/// A group member as a rollout's gate judges it.
package struct RolloutGateRow: Sendable, Equatable {
    let name: String
    let status: String
    /// Milliseconds since 1970.
    let lastSeen: Int64?
    var pollingUntil: Int64? = nil
    let registeredAt: Int64?
    let appliedGeneration: Int64?
    let heartbeatSeconds: Int
    /// When its last sync ended, if it fell short (an error, or an artifact out of line).
    let failedSyncAt: Int64?
}

/// Where a rollout stands.
package enum RolloutState: String, Codable, Sendable, CaseIterable {
    /// Waiting for the members reached to apply the change.
    case running
    /// They applied it; waiting out the soak.
    case soaking
    case paused
    case completed
    case aborted
    /// More members failed than the policy allows: held at its wave until promoted or aborted.
    case failed
    /// A newer change to the group carried on from its wave.
    case superseded

    /// Whether it still decides what the group's members hold.
    var inEffect: Bool { self != .completed && self != .superseded }
    /// Whether it may still move on.
    var isOpen: Bool { self == .running || self == .soaking || self == .paused || self == .failed }
}

/// A group's content as members not yet reached keep it.
package struct GroupContent: Codable, Sendable, Equatable {
    let registry: String
    let artifacts: [GroupArtifact]
    let proxy: GroupProxy?
    let scanGate: ScanGate?
    let verification: DesiredState.Verification?

    init(_ group: GroupRecord) {
        registry = group.registry
        artifacts = group.artifacts
        proxy = group.proxy
        scanGate = group.scanGate
        verification = group.verification
    }
}

/// One member of a rollout, in the order the policy gives.
package struct RolloutMember: Codable, Sendable, Equatable {
    package let name: String
    /// What the policy orders by (label match, site), then the name.
    let key: String
    /// 1-based.
    package let wave: Int
}

/// A rollout as stored.
package struct RolloutRecord: Sendable, Equatable {
    package var id: Int64 = 0
    package let group: String
    package var state: RolloutState
    package let policy: RolloutPolicy
    /// Waves reached so far (1 once it starts).
    package var wave: Int
    package var members: [RolloutMember]
    /// What members not reached hold, and the revision it counts at for them.
    let baseline: GroupContent
    let baselineRevision: Int64
    /// The group's revision whose content it rolls out.
    package var targetRevision: Int64
    /// The fleet revision at which each wave was reached, and when (milliseconds).
    var waveRevisions: [Int64]
    package var waveReachedAt: [Int64]
    package var soakStartedAt: Int64?
    /// Why it stopped (failed, aborted, superseded).
    package var reason: String?
    /// The rollout whose wave it carried on from.
    package let supersedes: Int64?
    package let createdAt: Int64
    package var updatedAt: Int64
    /// Moves by one on every update.
    package var version: Int64 = 0

    /// How many waves the policy makes of its members (empty waves included).
    package var waveCount: Int { policy.waves.count }
}
