import Foundation

/// `GET /api/v1/demand`: what devices across the fleet asked for that their satellites did not
/// hold, from each satellite's last report; by default only what no group names.
public struct DemandList: Codable, Sendable, Equatable {
    public var entries: [FleetDemandEntry]
    /// Satellites whose last report had any demand.
    public var satellitesReporting: Int
    /// Entries left out by `limit`.
    public var omitted: Int?

    public init(entries: [FleetDemandEntry], satellitesReporting: Int, omitted: Int? = nil) {
        self.entries = entries
        self.satellitesReporting = satellitesReporting
        self.omitted = omitted
    }
}

/// One repository and tag (or digest) asked for, summed over the satellites that reported it.
public struct FleetDemandEntry: Codable, Sendable, Equatable {
    /// The registry (the satellites' upstream) it resolved to; absent when it resolved to none.
    public var registry: String?
    /// The registry host devices named when their satellite mirrors nothing from it.
    public var host: String?
    public var repository: String
    public var tag: String?
    public var digest: String?
    public var misses: Int64
    public var denied: Int64
    public var notFound: Int64
    public var lastAskedAt: Date
    /// How many satellites reported it, and the first of them by name (at most 20).
    public var satelliteCount: Int
    public var satellites: [String]
    /// The groups that name it; empty when it is in no group.
    public var groups: [String]

    public init(
        registry: String?, host: String?, repository: String, tag: String?, digest: String?, misses: Int64,
        denied: Int64, notFound: Int64, lastAskedAt: Date, satelliteCount: Int, satellites: [String], groups: [String]
    ) {
        self.registry = registry
        self.host = host
        self.repository = repository
        self.tag = tag
        self.digest = digest
        self.misses = misses
        self.denied = denied
        self.notFound = notFound
        self.lastAskedAt = lastAskedAt
        self.satelliteCount = satelliteCount
        self.satellites = satellites
        self.groups = groups
    }

    /// Every request counted.
    public var requests: Int64 { misses &+ denied &+ notFound }

    /// `repository:tag` or `repository@digest`, as `satctl demand add` and `groups add` take it.
    public var artifact: String {
        repository + (tag.map { ":\($0)" } ?? "") + (digest.map { "@\($0)" } ?? "")
    }
}

/// `POST /api/v1/groups/{name}/artifacts`: one artifact to add to a group (what the demand list
/// offers); nothing changes when the group names it already.
public struct GroupArtifactAddition: Codable, Sendable, Equatable {
    /// When given, must be the group's registry: the artifact was asked for from it.
    public var registry: String?
    public var artifact: GroupArtifact

    public init(registry: String? = nil, artifact: GroupArtifact) {
        self.registry = registry
        self.artifact = artifact
    }
}
