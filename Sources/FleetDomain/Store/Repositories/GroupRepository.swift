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
    package let registry: String
    package let artifacts: [GroupArtifact]
    let proxy: GroupProxy?
    package let scanGate: ScanGate?
    let verification: DesiredState.Verification?
    package let revision: Int64
    /// Milliseconds since 1970.
    let updatedAt: Int64
}
