import Foundation
import OCI
import SatelliteProtocol

// The JSON bodies of Ground Control's admin API v1 (DESIGN.md §5.3), shared by the server, satctl
// and the dashboard. `openapi.json` in the GroundControl module is the reference for their shapes.

/// `PUT /api/v1/registries/{name}`: where a group's images come from.
public struct RegistryDefinition: Codable, Sendable, Equatable {
    public var url: String
    /// `oci` (any Distribution API registry, the default) or `harbor`.
    public var kind: String?
    /// For `oci`, what satellites pull with; for `harbor`, an admin (or a system robot allowed
    /// to manage robots) that Ground Control alone uses: satellites get robots of their own.
    public var username: String?
    /// Write-only: never returned by the API.
    public var password: String?
    public var insecure: Bool?
    /// Write-only: what the registry's webhook sends as its `Authorization` header to
    /// `POST /api/v1/events/harbor`. Only its hash is kept.
    public var webhookSecret: String?
    /// `harbor`: how many days a satellite's robot lives before it is refreshed (default 30).
    public var robotDurationDays: Int?

    public init(
        url: String, kind: String? = nil, username: String? = nil, password: String? = nil, insecure: Bool? = nil,
        webhookSecret: String? = nil
    ) {
        self.url = url
        self.kind = kind
        self.username = username
        self.password = password
        self.insecure = insecure
        self.webhookSecret = webhookSecret
    }
}

/// A registry as the API shows it: the password is only said to be set.
public struct RegistryView: Codable, Sendable, Equatable {
    public var name: String
    public var url: String
    public var kind: String
    public var username: String?
    public var passwordSet: Bool
    public var insecure: Bool
    public var updatedAt: Date
    /// Whether a webhook secret is set (push events are taken from it).
    public var webhookSet: Bool?
    /// `harbor`: days a satellite's robot lives.
    public var robotDurationDays: Int?

    public init(
        name: String, url: String, kind: String, username: String?, passwordSet: Bool, insecure: Bool, updatedAt: Date
    ) {
        self.name = name
        self.url = url
        self.kind = kind
        self.username = username
        self.passwordSet = passwordSet
        self.insecure = insecure
        self.updatedAt = updatedAt
    }
}

/// One artifact of a group: a repository with a tag, a digest, or both; or, from a registry of
/// kind `harbor`, a repository (or every repository of a project) with a tag filter.
public struct GroupArtifact: Codable, Sendable, Equatable, Hashable {
    /// The repository's whole name; with `project`, the name inside the project (the project is
    /// put before it). When `everyRepository`, the project's name stands here.
    public var repository: RepositoryName
    public var tag: Tag?
    public var digest: Digest?
    /// Only these platforms of an index (`linux/amd64`); all when absent.
    public var platforms: [String]?
    /// The digest the tag pointed to when Ground Control last resolved it (read-only).
    public var resolvedDigest: Digest?
    /// A Harbor project: `repository` is then inside it, or `*` for all of its repositories.
    public var project: String?
    /// `repository: "*"`: every repository of `project`.
    public var everyRepository: Bool
    /// Tag filters, instead of one tag (registries of kind `harbor`).
    public var tags: String?
    public var semver: String?
    public var latest: Int?
    /// What the filters chose when last resolved (read-only).
    public var resolved: [ResolvedTag]?
    /// What the group's scan gate withholds (read-only).
    public var heldBack: [HeldBackArtifact]?
    /// `critical`: members fetch it even past their upstream budget (counted, reported).
    public var priority: String?

    public init(
        repository: RepositoryName, tag: Tag? = nil, digest: Digest? = nil, platforms: [String]? = nil,
        resolvedDigest: Digest? = nil
    ) {
        self.repository = repository
        self.tag = tag
        self.digest = digest
        self.platforms = platforms
        self.resolvedDigest = resolvedDigest
        everyRepository = false
    }

    /// An entry with tag filters: `repository` inside `project`, or nil for every repository.
    public init(
        project: String, repository: RepositoryName?, tags: String? = nil, semver: String? = nil, latest: Int? = nil
    ) throws(OCIError) {
        if let repository {
            self.init(repository: repository)
        } else {
            self.init(repository: try RepositoryName(project))
        }
        self.project = project
        everyRepository = repository == nil
        self.tags = tags
        self.semver = semver
        self.latest = latest
    }

    /// Whether this entry chooses tags by filter rather than naming one.
    public var isSelection: Bool { tags != nil || semver != nil || latest != nil || everyRepository }

    /// The Harbor project the entry's repository is in: `project`, or the name's first component.
    public var harborProject: String {
        project ?? String(repository.value.prefix { $0 != "/" })
    }

    /// The repository name inside the project; nil for every repository.
    public var nameInProject: String? {
        if everyRepository { return nil }
        if project != nil { return repository.value }
        let project = harborProject
        return repository.value.count > project.count
            ? String(repository.value.dropFirst(project.count + 1)) : repository.value
    }

    /// The whole repository name (`project/name`), or nil for every repository.
    public var fullRepository: String? {
        guard let name = nameInProject else { return nil }
        return project.map { "\($0)/\(name)" } ?? repository.value
    }

    /// Whether a push to `repository` (a whole name) can change what this entry resolves to.
    public func covers(repository name: String) -> Bool {
        guard let full = fullRepository else { return name.hasPrefix(harborProject + "/") }
        return full == name
    }

    enum CodingKeys: String, CodingKey {
        case repository, tag, digest, platforms, resolvedDigest, project, tags, semver, latest, resolved, heldBack
        case priority
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let raw = try container.decode(String.self, forKey: .repository)
        project = try container.decodeIfPresent(String.self, forKey: .project)
        everyRepository = raw == "*"
        if everyRepository {
            guard let project else {
                throw DecodingError.dataCorruptedError(
                    forKey: .repository, in: container, debugDescription: "'*' needs a project")
            }
            guard let name = try? RepositoryName(project) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .project, in: container,
                    debugDescription: "project: '\(project.prefix(80))' is not a Harbor project name")
            }
            repository = name
        } else {
            repository = try RepositoryName(raw)
        }
        tag = try container.decodeIfPresent(Tag.self, forKey: .tag)
        digest = try container.decodeIfPresent(Digest.self, forKey: .digest)
        platforms = try container.decodeIfPresent([String].self, forKey: .platforms)
        resolvedDigest = try container.decodeIfPresent(Digest.self, forKey: .resolvedDigest)
        tags = try container.decodeIfPresent(String.self, forKey: .tags)
        semver = try container.decodeIfPresent(String.self, forKey: .semver)
        latest = try container.decodeIfPresent(Int.self, forKey: .latest)
        resolved = try container.decodeIfPresent([ResolvedTag].self, forKey: .resolved)
        heldBack = try container.decodeIfPresent([HeldBackArtifact].self, forKey: .heldBack)
        priority = try container.decodeIfPresent(String.self, forKey: .priority)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(everyRepository ? "*" : repository.value, forKey: .repository)
        try container.encodeIfPresent(tag, forKey: .tag)
        try container.encodeIfPresent(digest, forKey: .digest)
        try container.encodeIfPresent(platforms, forKey: .platforms)
        try container.encodeIfPresent(resolvedDigest, forKey: .resolvedDigest)
        try container.encodeIfPresent(project, forKey: .project)
        try container.encodeIfPresent(tags, forKey: .tags)
        try container.encodeIfPresent(semver, forKey: .semver)
        try container.encodeIfPresent(latest, forKey: .latest)
        try container.encodeIfPresent(resolved, forKey: .resolved)
        try container.encodeIfPresent(heldBack, forKey: .heldBack)
        try container.encodeIfPresent(priority, forKey: .priority)
    }
}

/// A tag a filter chose, with the digest it is pinned to.
public struct ResolvedTag: Codable, Sendable, Equatable, Hashable {
    /// The whole repository name.
    public var repository: String
    public var tag: String
    public var digest: Digest

    public init(repository: String, tag: String, digest: Digest) {
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }
}

/// A Harbor robot Ground Control keeps for a satellite (never its secret).
public struct RobotView: Codable, Sendable, Equatable {
    public var registry: String
    /// Harbor's name for it, `robot$…`.
    public var name: String
    public var expiresAt: Date?

    public init(registry: String, name: String, expiresAt: Date?) {
        self.registry = registry
        self.name = name
        self.expiresAt = expiresAt
    }
}

/// An artifact the scan gate withholds, and why; satellites keep the last digest that passed.
public struct HeldBackArtifact: Codable, Sendable, Equatable, Hashable {
    public var repository: String
    public var tag: String?
    public var digest: Digest
    /// `severity critical is above high`, `not scanned`, …
    public var reason: String

    public init(repository: String, tag: String?, digest: Digest, reason: String) {
        self.repository = repository
        self.tag = tag
        self.digest = digest
        self.reason = reason
    }
}

/// `PUT /api/v1/groups/{name}`: a named list of artifacts from one registry.
public struct GroupDefinition: Codable, Sendable, Equatable {
    public var registry: String
    public var artifacts: [GroupArtifact]
    /// Pull-through from the group's registry for repositories no artifact names.
    public var proxy: GroupProxy?
    /// The scan gate (registries of kind `harbor`): the worst severity an artifact's scan may
    /// find (`none`, `low`, `medium`, `high`, `critical`); worse is withheld.
    public var maxSeverity: String?
    /// Withhold artifacts Harbor has not scanned successfully.
    public var requireScan: Bool?
    /// The signature policy for the group's artifacts: public keys (PEM) and whether a
    /// signature is required. Satellites check it before they tag anything.
    public var verification: DesiredState.Verification?
    /// How a change reaches the group's members (`RolloutPolicy`'s text); all at once when absent.
    public var rollout: String?
    /// When members may fetch the group's content from its registry (`Mon-Fri 22:00-05:00
    /// Europe/Berlin`), besides their own windows; always when absent.
    public var syncWindows: [String]?

    public init(
        registry: String, artifacts: [GroupArtifact], proxy: GroupProxy? = nil, maxSeverity: String? = nil,
        requireScan: Bool? = nil,
        verification: DesiredState.Verification? = nil, rollout: String? = nil, syncWindows: [String]? = nil
    ) {
        self.syncWindows = syncWindows
        self.registry = registry
        self.artifacts = artifacts
        self.proxy = proxy
        self.maxSeverity = maxSeverity
        self.requireScan = requireScan
        self.verification = verification
        self.rollout = rollout
    }
}

/// A group's pull-through rules: the repositories of its registry that satellites may fetch on
/// first pull, and how long they serve a cached tag before revalidating it.
public struct GroupProxy: Codable, Sendable, Equatable {
    public var repositories: [RepositoryPattern]
    /// Seconds; the satellite's default (300) when absent.
    public var tagTTL: Int?

    public init(repositories: [RepositoryPattern], tagTTL: Int? = nil) {
        self.repositories = repositories
        self.tagTTL = tagTTL
    }
}

/// A group as the API shows it.
public struct GroupView: Codable, Sendable, Equatable {
    public var name: String
    public var registry: String
    public var artifacts: [GroupArtifact]
    public var proxy: GroupProxy?
    public var maxSeverity: String?
    public var requireScan: Bool?
    public var verification: DesiredState.Verification?
    /// The rollout policy, as the group's definition gives it.
    public var rollout: String?
    /// Its sync windows, each as Ground Control spells it.
    public var syncWindows: [String]?
    /// The fleet revision of the group's last change (including a tag resolving anew).
    public var revision: Int64
    public var updatedAt: Date
    /// Projects the group names that its Harbor does not have: no satellite is given a robot
    /// for them, nor their artifacts, until they exist. Absent when there are none.
    public var missingProjects: [String]?

    public init(
        name: String, registry: String, artifacts: [GroupArtifact], proxy: GroupProxy? = nil, revision: Int64,
        updatedAt: Date
    ) {
        self.name = name
        self.registry = registry
        self.artifacts = artifacts
        self.proxy = proxy
        self.revision = revision
        self.updatedAt = updatedAt
    }
}

extension GroupView {
    /// The group as `PUT /api/v1/groups/{name}` takes it: what Ground Control worked out
    /// (resolved digests, held-back artifacts) left out, so it can be edited and sent back.
    public var definition: GroupDefinition {
        let artifacts = artifacts.map { artifact in
            var kept = artifact
            kept.resolvedDigest = nil
            kept.resolved = nil
            kept.heldBack = nil
            return kept
        }
        return GroupDefinition(
            registry: registry, artifacts: artifacts, proxy: proxy, maxSeverity: maxSeverity, requireScan: requireScan,
            verification: verification, rollout: rollout, syncWindows: syncWindows)
    }
}

/// `POST /api/v1/satellites`: a satellite to expect.
public struct SatelliteDefinition: Codable, Sendable, Equatable {
    public var name: String
    public var groups: [String]
    public var labels: [String: String]?
    public var settings: SatelliteSettings?

    public init(name: String, groups: [String], labels: [String: String]? = nil, settings: SatelliteSettings? = nil) {
        self.name = name
        self.groups = groups
        self.labels = labels
        self.settings = settings
    }
}

/// The fleet in numbers (`GET /api/v1/fleet`): how many satellites, and how many in each state.
public struct FleetSummary: Codable, Sendable, Equatable {
    public var satellites: Int
    /// `online`, `stale`, `pending`, `revoked`: every state named, 0 for none.
    public var byState: [String: Int]

    public init(satellites: Int, byState: [String: Int]) {
        self.satellites = satellites
        self.byState = byState
    }
}

/// Satellites to create in one request (`POST /api/v1/satellites/batch`), all or none.
public struct SatelliteBatch: Codable, Sendable, Equatable {
    public var satellites: [SatelliteDefinition]

    public init(satellites: [SatelliteDefinition]) {
        self.satellites = satellites
    }
}

/// The registration tokens of satellites created together, in the order they were given.
public struct RegistrationTokens: Codable, Sendable, Equatable {
    public var tokens: [RegistrationToken]

    public init(tokens: [RegistrationToken]) {
        self.tokens = tokens
    }
}

/// The one-time registration token for a satellite (shown once; the server keeps only its hash).
public struct RegistrationToken: Codable, Sendable, Equatable {
    public var name: String
    public var token: String
    public var expiresAt: Date

    public init(name: String, token: String, expiresAt: Date) {
        self.name = name
        self.token = token
        self.expiresAt = expiresAt
    }
}

/// How far a satellite is from its desired state.
public struct Drift: Codable, Sendable, Equatable {
    /// The desired generation is newer than the applied one.
    public var behind: Bool
    /// Desired manifest digests missing from the last reported inventory.
    public var missing: [String]

    public init(behind: Bool, missing: [String]) {
        self.behind = behind
        self.missing = missing
    }
}

/// A satellite as the fleet view shows it.
public struct SatelliteView: Codable, Sendable, Equatable {
    public var name: String
    /// `pending` (not registered yet), `online`, `stale` (three heartbeats missed) or `revoked`.
    public var state: String
    public var groups: [String]
    public var labels: [String: String]
    public var settings: SatelliteSettings
    public var createdAt: Date
    public var registeredAt: Date?
    public var lastSeen: Date?
    public var desiredGeneration: Int64
    public var appliedGeneration: Int64?
    public var drift: Drift
    public var diskUsedBytes: Int64?
    public var diskFreeBytes: Int64?
    public var lastSync: SyncResult?
    public var version: String?
    /// How many pulled-through manifests it reported holding.
    public var cachedManifests: Int?
    /// Its site (the `site` label), the address it advertises to the site's other satellites,
    /// and the bytes it reported fetching from them and from upstreams.
    public var site: String?
    public var advertisedURL: String?
    public var transfer: TransferCounts?
    /// Its sync windows as it last reported them: open or closed, until when, and any it
    /// cannot follow.
    public var link: LinkReport?
    /// Its upstream bytes per day and against its budgets, as it last reported them.
    public var meter: MeterReport?
    /// What devices asked it for that it did not hold, as it last reported it.
    public var demand: DemandReport?
    /// Artifacts of its groups that a scan gate withholds, and why.
    public var heldBack: [HeldBackArtifact]?
    /// The Harbor robots its state hands out, one per registry of kind harbor.
    public var robots: [RobotView]?
    /// True when it was enrolled with a token an operator issued: until an admin approves it
    /// (`POST /api/v1/satellites/{name}/approve`), it gets no state that holds a registry's
    /// password or its site's credential. Absent once approved.
    public var awaitingApproval: Bool?

    public init(
        name: String, state: String, groups: [String], labels: [String: String], settings: SatelliteSettings,
        createdAt: Date, registeredAt: Date?, lastSeen: Date?, desiredGeneration: Int64, appliedGeneration: Int64?,
        drift: Drift, diskUsedBytes: Int64?, diskFreeBytes: Int64?, lastSync: SyncResult?, version: String?
    ) {
        self.name = name
        self.state = state
        self.groups = groups
        self.labels = labels
        self.settings = settings
        self.createdAt = createdAt
        self.registeredAt = registeredAt
        self.lastSeen = lastSeen
        self.desiredGeneration = desiredGeneration
        self.appliedGeneration = appliedGeneration
        self.drift = drift
        self.diskUsedBytes = diskUsedBytes
        self.diskFreeBytes = diskFreeBytes
        self.lastSync = lastSync
        self.version = version
    }
}

/// One admin change or registration.
public struct AuditEntry: Codable, Sendable, Equatable {
    public var id: Int64
    public var at: Date
    /// `admin` (the bootstrap token), `user:<name>`, `satellite:<name>` or `ground-control`.
    public var actor: String
    /// Such as `registry.put`, `satellite.register`.
    public var action: String
    public var target: String
    public var detail: String?

    public init(id: Int64, at: Date, actor: String, action: String, target: String, detail: String?) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.target = target
        self.detail = detail
    }
}

/// A site and its satellites' traffic, summed from their last heartbeats (`GET /api/v1/sites`).
public struct SiteView: Codable, Sendable, Equatable {
    public var name: String
    /// Its satellites, by name.
    public var satellites: [String]
    /// Those a peer can reach: registered, with an advertised address.
    public var peers: Int
    public var fromPeersBytes: Int64
    public var fromUpstreamBytes: Int64
    /// The sync windows its members follow unless they have their own.
    public var settings: SiteSettings?

    public init(name: String, satellites: [String], peers: Int, fromPeersBytes: Int64, fromUpstreamBytes: Int64) {
        self.name = name
        self.satellites = satellites
        self.peers = peers
        self.fromPeersBytes = fromPeersBytes
        self.fromUpstreamBytes = fromUpstreamBytes
    }
}

/// `PUT /api/v1/sites/{name}/settings`: what a site's members follow unless they set their own.
public struct SiteSettings: Codable, Sendable, Equatable {
    /// When its members may use their upstream links (`Mon-Fri 22:00-05:00 Europe/Berlin`).
    public var syncWindows: [String]?
    /// `defer` or `allow`: what a pull-through miss gets outside the windows.
    public var outsideWindow: String?

    public init(syncWindows: [String]? = nil, outsideWindow: String? = nil) {
        self.syncWindows = syncWindows
        self.outsideWindow = outsideWindow
    }
}
