import FleetAPI
import SatelliteProtocol

/// The image groups: what satellites hold, from which registry.
package protocol GroupRepository: Sendable {
    func named(_ name: String) async throws -> GroupRecord?

    /// Every group, by name.
    func all() async throws -> [GroupRecord]

    /// Creates or replaces the group of that name.
    func put(_ group: GroupRecord) async throws

    /// Returns whether there was one to delete.
    func delete(_ name: String) async throws -> Bool

    /// Records what the resolver found for the group's artifacts, at `revision`.
    func setArtifacts(_ artifacts: [GroupArtifact], revision: Int64, of name: String) async throws

    /// The groups that pull from `registry`, by name.
    func names(usingRegistry registry: String) async throws -> [String]

    /// The signature policies of the pull-through groups of `registry`, but for `excluded`'s.
    func proxyVerifications(registry: String, excluding excluded: String) async throws -> [DesiredState.Verification]
}

/// A group with its artifacts, pull-through rules and policies decoded.
package struct GroupRecord: Sendable, Equatable {
    package let name: String
    package var registry: String
    package var artifacts: [GroupArtifact]
    var proxy: GroupProxy?
    package var scanGate: ScanGate?
    var verification: DesiredState.Verification?
    package var revision: Int64
    /// Milliseconds since 1970.
    let updatedAt: Int64
    /// How a change reaches its members; nil: all at once.
    var rollout: RolloutPolicy? = nil
    /// When members may fetch its content from the registry (`SyncWindow` texts); nil: always.
    var syncWindows: [String]? = nil

    /// What a rollout carries: everything members hold of the group.
    var content: GroupContent { GroupContent(self) }

    /// The group with `content` in place of its own, counted at `revision`.
    func holding(_ content: GroupContent, at revision: Int64) -> GroupRecord {
        var group = self
        group.registry = content.registry
        group.artifacts = content.artifacts
        group.proxy = content.proxy
        group.scanGate = content.scanGate
        group.verification = content.verification
        group.revision = revision
        return group
    }
}
