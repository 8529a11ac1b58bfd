import Foundation

/// A rollout as the API shows it (`GET /api/v1/rollouts`, `/api/v1/rollouts/{id}`).
public struct RolloutView: Codable, Sendable, Equatable {
    public var id: Int64
    public var group: String
    /// `running`, `soaking`, `paused`, `completed`, `aborted`, `failed`, or `superseded` (a newer
    /// change to the group carried on from its wave).
    public var state: String
    public var policy: String
    /// Waves reached so far, of `waves`.
    public var wave: Int
    public var waves: Int
    public var createdAt: Date
    public var updatedAt: Date
    /// When the soak under way ends.
    public var soakEndsAt: Date?
    /// Why it stopped or ended.
    public var reason: String?
    /// The rollout whose wave it carried on from.
    public var supersedes: Int64?
    /// Each wave: its members and how far they are.
    public var progress: [RolloutWaveView]

    public init(
        id: Int64, group: String, state: String, policy: String, wave: Int, waves: Int, createdAt: Date,
        updatedAt: Date, progress: [RolloutWaveView]
    ) {
        self.id = id
        self.group = group
        self.state = state
        self.policy = policy
        self.wave = wave
        self.waves = waves
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.progress = progress
    }
}

/// One wave of a rollout: reached or not, and of its members how many applied the change and
/// how many failed (a failed sync since the wave was reached, or offline).
public struct RolloutWaveView: Codable, Sendable, Equatable {
    public var wave: Int
    public var members: [String]
    public var reached: Bool
    public var reachedAt: Date?
    public var applied: Int
    public var failed: Int

    public init(wave: Int, members: [String], reached: Bool, reachedAt: Date?, applied: Int, failed: Int) {
        self.wave = wave
        self.members = members
        self.reached = reached
        self.reachedAt = reachedAt
        self.applied = applied
        self.failed = failed
    }
}
