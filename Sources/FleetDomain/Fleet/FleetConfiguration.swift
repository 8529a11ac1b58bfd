import Crypto
import FleetAPI
import FleetIdentity
import Foundation
import OCI
import SatelliteProtocol

/// The registries and groups of the whole fleet at one revision: everything a satellite's state
/// is made of besides the satellite's own row. Small, so it is loaded whole and shared.
public struct FleetConfiguration: Sendable {
    /// The fleet revision read before the rows: every change up to it is included.
    public let revision: Int64
    let groups: [String: GroupRecord]
    let registries: [String: RegistryRecord]
    /// The latest change to any group or registry (a change above it touched only satellites' rows).
    package let contentRevision: Int64
    /// The rollouts that decide what groups' members hold, by group.
    let rollouts: [String: RolloutInEffect]

    init(
        revision: Int64, groups: [String: GroupRecord], registries: [String: RegistryRecord],
        rollouts: [RolloutRecord] = []
    ) {
        self.revision = revision
        self.groups = groups
        self.registries = registries
        self.rollouts = Dictionary(rollouts.map { ($0.group, RolloutInEffect($0)) }) { first, _ in first }
        contentRevision = max(groups.values.map(\.revision).max() ?? 0, registries.values.map(\.revision).max() ?? 0)
    }

    /// The group as `member` holds it: its content, or what a rollout keeps the member on, and
    /// the revision that counts towards the member's generation.
    func group(_ name: String, seenBy member: String) -> GroupRecord? {
        guard let group = groups[name], let rollout = rollouts[name] else { return groups[name] }
        return rollout.group(group, seenBy: member)
    }

    /// What tells apart the states of members of the same groups: where rollouts put them.
    func rolloutKey(of member: String, in names: [String]) -> String {
        names.compactMap { name in rollouts[name].map { "\(name):\($0.reaches(member) ? 1 : 0)" } }.joined(
            separator: ",")
    }

    /// Whether this configuration is at least as new as what `satellite` was read at.
    package func covers(_ satellite: SatelliteStateInputs) -> Bool {
        satellite.revision <= revision && satellite.groups.allSatisfy { groups[$0] != nil }
    }

    /// The highest revision among the satellite, its groups (as it holds them) and their registries.
    package func generation(of member: String, satelliteRevision: Int64, groups names: [String]) -> Int64 {
        var generation = satelliteRevision
        for group in names.compactMap({ group($0, seenBy: member) }) {
            generation = max(generation, group.revision, registries[group.registry]?.revision ?? 0)
        }
        return generation
    }

    /// The satellite's document (DESIGN.md §5.2): its groups, site and robots; its site's
    /// members named by `members`, the pattern of satellites' certificates.
    package func desiredState(
        of satellite: SatelliteStateInputs, signingKey: Curve25519.Signing.PrivateKey, members: SPIFFEIDPattern?
    ) -> DesiredState {
        var state = desiredState(
            of: satellite.name, satelliteRevision: satellite.revision, groups: satellite.groups,
            settings: satellite.settings,
            site: satellite.site?.stateFields(signingKey: signingKey, pattern: members),
            robots: Dictionary(satellite.robots.map { ($0.registry, $0.credential(signingKey: signingKey)) }) {
                first, _ in first
            })
        state.satellite = satellite.name
        state.syncWindows = SyncWindowRules.effective(settings: satellite.settings, site: satellite.site?.settings)
        state.syncNow = satellite.syncNow
        state.upstreamBudgets = satellite.settings.upstreamBudgets
        return state
    }

    package func generation(of satellite: SatelliteStateInputs) -> Int64 {
        generation(of: satellite.name, satelliteRevision: satellite.revision, groups: satellite.groups)
    }

    /// The groups whose content changed after `revision`: their own row, or their registry's.
    package func groupsChanged(after revision: Int64) -> [String] {
        groups.values.filter { max($0.revision, registries[$0.registry]?.revision ?? 0) > revision }.map(\.name)
    }

    /// The DESIGN.md §5.2 document: the groups' artifacts with tags pinned to the digests last
    /// resolved, and the registries they come from with their pull credentials.
    package func desiredState(
        of member: String, satelliteRevision: Int64, groups names: [String], settings: SatelliteSettings,
        site: (site: DesiredState.Site, peers: [DesiredState.Peer])? = nil,
        robots: [String: RobotCredential] = [:]
    ) -> DesiredState {
        var upstreams: [String: DesiredState.Upstream] = [:]
        var artifacts: [DesiredState.Artifact] = []
        // Each artifact's place in `artifacts`, keyed as it is before windows are set.
        var positions: [DesiredState.Artifact: Int] = [:]
        var proxy: [String: DesiredState.ProxyRule] = [:]
        for group in names.sorted().compactMap({ group($0, seenBy: member) }) {
            guard let registry = registries[group.registry] else { continue }
            if let rules = group.proxy {
                // Groups on one registry allow the union of their patterns, revalidating as
                // often as the strictest of them asks.
                var rule = proxy[registry.name] ?? DesiredState.ProxyRule(upstream: registry.name, repositories: [])
                rule.repositories += rules.repositories.filter { !rule.repositories.contains($0) }
                if let ttl = rules.tagTTL { rule.tagTTL = min(rule.tagTTL ?? ttl, ttl) }
                // And under every key any of them trusts, required if any requires it: the one
                // rule must be no weaker than the strictest group that pulls through.
                if let policy = group.verification {
                    var merged = rule.verification ?? DesiredState.Verification(keys: [], required: false)
                    merged.keys += policy.keys.filter { !merged.keys.contains($0) }
                    merged.required = (merged.required ?? true) || policy.requiresSignature
                    rule.verification = merged
                }
                proxy[registry.name] = rule
            }
            // A Harbor's admin credential never leaves Ground Control: each satellite pulls with
            // a robot of its own (none until Ground Control has made it).
            let credential =
                registry.isHarbor
                ? robots[registry.name].map { ($0.username, $0.password) }
                : registry.password.map { (registry.username ?? "", $0) }
            upstreams[registry.name] = DesiredState.Upstream(
                name: registry.name, url: registry.url, insecure: registry.insecure ? true : nil,
                username: registry.isHarbor ? credential?.0 : registry.username, password: credential?.1)
            for artifact in group.artifacts {
                // From a Harbor, only what the satellite's robot may pull yet: a group's new
                // project reaches the state once the robot's permissions cover it (or its
                // robot exists), so no sync is refused in between.
                if registry.isHarbor && !(robots[registry.name]?.mayPull(artifact.harborProject) ?? false) { continue }
                // Behind a scan gate a tag goes out only pinned to a digest that passed it: the
                // satellite must not resolve the tag itself.
                if group.scanGate != nil && artifact.digest == nil && artifact.resolvedDigest == nil
                    && !artifact.isSelection
                {
                    continue
                }
                for var entry in Self.stateArtifacts(of: artifact, upstream: registry.name) {
                    entry.verification = group.verification
                    // Named by two groups, it may be fetched whenever either's windows allow.
                    if let index = positions[entry] {
                        artifacts[index].syncWindows = Self.union(artifacts[index].syncWindows, group.syncWindows)
                        continue
                    }
                    positions[entry] = artifacts.count
                    entry.syncWindows = group.syncWindows
                    artifacts.append(entry)
                }
            }
        }
        var state = DesiredState(
            generation: generation(of: member, satelliteRevision: satelliteRevision, groups: names),
            upstreams: upstreams.values.sorted { $0.name < $1.name },
            artifacts: artifacts,
            settings: settings,
            proxy: proxy.isEmpty ? nil : proxy.values.sorted { $0.upstream < $1.upstream },
            peers: site.map { $0.peers.isEmpty ? nil : $0.peers } ?? nil, site: site?.site)
        // A rollout's abort takes members back to what they held: they keep it until the next state.
        if names.contains(where: { groups[$0]?.rollout != nil }) { state.keepPrevious = true }
        return state
    }

    /// Windows under which either of two groups lets content be fetched; nil (always) when either has none.
    static func union(_ first: [String]?, _ second: [String]?) -> [String]? {
        guard let first, let second else { return nil }
        return first + second.filter { !first.contains($0) }
    }

    /// A group entry as the state lists it: a tag or digest as it is, a filter as every tag it chose.
    static func stateArtifacts(of artifact: GroupArtifact, upstream: String) -> [DesiredState.Artifact] {
        guard artifact.isSelection else {
            let repository = artifact.fullRepository.flatMap { try? RepositoryName($0) } ?? artifact.repository
            return [
                DesiredState.Artifact(
                    upstream: upstream, repository: repository, tag: artifact.tag,
                    digest: artifact.digest ?? artifact.resolvedDigest, platforms: artifact.platforms,
                    priority: artifact.priority)
            ]
        }
        return (artifact.resolved ?? []).compactMap { chosen in
            guard let repository = try? RepositoryName(chosen.repository), let tag = try? Tag(chosen.tag) else {
                return nil
            }
            return DesiredState.Artifact(
                upstream: upstream, repository: repository, tag: tag, digest: chosen.digest,
                platforms: artifact.platforms, priority: artifact.priority)
        }
    }

    static func load(_ records: FleetRecords) async throws -> FleetConfiguration {
        FleetConfiguration(
            revision: try await records.revision.current(),
            groups: Dictionary(
                try await records.groups.all().map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first }),
            registries: Dictionary(
                try await records.registries.all().map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first }),
            rollouts: try await records.rollouts.inEffect())
    }
}

/// A satellite's own row as its requests need it: revision, status, settings and groups.
public struct SatelliteStateInputs: Sendable, Equatable {
    public let name: String
    public let revision: Int64
    /// `pending`, `registered` or `revoked`.
    public let status: String
    public let rotateRequested: Bool
    public let settings: SatelliteSettings
    /// The settings as stored (JSON), which also keys the document cache.
    package let settingsJSON: String
    public let groups: [String]
    /// Its site and the site's other members; nil outside any site.
    public var site: SiteMembership? = nil
    /// The address it last advertised in a heartbeat.
    public var advertisedURL: String? = nil
    /// The Harbor robots its state hands out, one per registry of kind harbor.
    public var robots: [IssuedRobot] = []
    /// Whether an admin stands behind its credential (see `SatelliteService.approve`).
    public var approved = true
    /// The latest one-off sync window an admin opened for it.
    public var syncNow: String? = nil

    /// Distinguishes documents in the signed-state cache.
    package var robotsCacheKey: String {
        robots.map { "\($0.registry)=\($0.name)@\($0.epoch):\($0.projects.joined(separator: "+"))" }.joined(
            separator: ",")
    }
}

extension Fleet {
    /// The whole fleet's registries and groups, read now.
    public func configuration() async throws -> FleetConfiguration {
        try await store.read { records in try await FleetConfiguration.load(records) }
    }

    /// The satellite's revision, settings and groups, in one query.
    public func stateInputs(of name: ResourceName) async throws -> SatelliteStateInputs {
        let (row, site, robots) = try await store.read { records in
            guard let row = try await records.satellites.stateRow(of: name.value) else {
                throw GroundControlError(.satelliteUnknown, "satellite '\(name)' does not exist")
            }
            // Read in the same view: a member's change stamps this satellite's revision too.
            var site: SiteMembership?
            if let siteName = row.site {
                site = try await SiteService.membership(site: siteName, excluding: name.value, records)
            }
            return (row, site, try await RobotService.issuedRobots(of: name.value, records))
        }
        return SatelliteStateInputs(
            name: name.value, revision: row.revision, status: row.status, rotateRequested: row.rotateRequested,
            settings: try Self.decode(SatelliteSettings.self, row.settingsJSON), settingsJSON: row.settingsJSON,
            groups: row.groups, site: site, advertisedURL: row.advertisedURL, robots: robots, approved: row.approved,
            syncNow: row.syncNow)
    }

    /// Satellites whose own revision is above `revision`, with it; deleted ones with the
    /// revision of their deletion.
    public func satelliteRevisions(after revision: Int64) async throws -> [(String, Int64)] {
        try await store.read { records in
            try await records.satellites.revisions(after: revision).map { ($0.name, $0.revision) }
        }
    }
}
