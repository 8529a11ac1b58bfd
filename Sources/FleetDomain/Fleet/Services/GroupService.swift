import FleetAPI
import Foundation
import ImageSignatures
import OCI
import SatelliteProtocol

extension GroupService {
    /// Creates or replaces a group. A tag kept from the previous version keeps its resolved digest
    /// until the resolver looks again.
    /// - Parameter expectedRevision: when given, the change is refused (`CHANGED`) unless the group
    ///   is still at this revision, so read-modify-write edits do not overwrite each other.
    public func put(
        _ name: ResourceName, _ definition: GroupDefinition, expectedRevision: Int64? = nil,
        by actor: Fleet.Actor = .admin
    ) async throws -> (GroupView, created: Bool) {
        let registry = try ResourceName(definition.registry, kind: "registry")
        let proxy = try Self.validatedProxy(definition.proxy)
        let at = Self.milliseconds(now())
        return try await change(by: actor) { changes in
            let records = changes.records
            guard let kind = try await records.registries.named(registry.value)?.kind else {
                throw GroundControlError(.registryUnknown, "registry: '\(registry)' does not exist")
            }
            var artifacts = try Self.validatedArtifacts(definition.artifacts, registryKind: kind)
            let gate = try ScanGate.validated(definition, registryKind: kind)
            let verification = try Self.validatedVerification(definition.verification)
            let previous = try await records.groups.named(name.value)
            if let expectedRevision, previous?.revision != expectedRevision {
                throw GroundControlError(
                    .changed,
                    """
                    group '\(name)' is at revision \(previous.map { String($0.revision) } ?? "none"), not \
                    \(expectedRevision); read it again
                    """
                )
            }
            if let previous, previous.registry == registry.value {
                // What the resolver found stays until it looks again (the gate may differ now:
                // the next pass, which a change triggers at once, judges it anew).
                for index in artifacts.indices where artifacts[index].digest == nil {
                    guard let kept = previous.artifacts.first(where: { $0.identity == artifacts[index].identity })
                    else { continue }
                    artifacts[index].resolvedDigest = kept.resolvedDigest
                    artifacts[index].resolved = kept.resolved
                    artifacts[index].heldBack = kept.heldBack
                }
            }
            if proxy != nil, let verification {
                try await Self.checkMergedProxyKeys(adding: verification, group: name, registry: registry, records)
            }
            let group = GroupRecord(
                name: name.value, registry: registry.value, artifacts: artifacts, proxy: proxy, scanGate: gate,
                verification: verification, revision: try await changes.revision(), updatedAt: at,
                rollout: try Self.validatedRollout(definition.rollout),
                syncWindows: try SyncWindowRules.validated(definition.syncWindows, field: "syncWindows"))
            try await records.groups.put(group)
            try await changes.groupChanged(to: group, from: previous)
            let rules = proxy.map { ", pull-through \($0.repositories.map(\.value).joined(separator: " "))" } ?? ""
            changes.audit("group.put", name.value, "registry \(registry), \(artifacts.count) artifact(s)\(rules)")
            changes.resolveTags()
            try changes.emit(
                .groupChanged, subject: name.value,
                data: ["change": previous == nil ? "created" : "edited", "revision": "\(group.revision)"])
            return (group.view(), previous == nil)
        }
    }

    public func named(_ name: ResourceName) async throws -> GroupView {
        let (record, missing) = try await store.read { records in
            (try await records.groups.named(name.value), try await records.robots.missingProjects())
        }
        guard let record else { throw GroundControlError(.groupUnknown, "group '\(name)' does not exist") }
        return record.view(missing: missing)
    }

    public func all() async throws -> [GroupView] {
        let (groups, missing) = try await store.read { records in
            (try await records.groups.all(), try await records.robots.missingProjects())
        }
        return groups.map { $0.view(missing: missing) }
    }

    package func records() async throws -> [GroupRecord] {
        try await store.read { records in try await records.groups.all() }
    }

    /// The satellites that use any of `groups`.
    package func members(of groups: [String]) async throws -> Set<String> {
        guard !groups.isEmpty else { return [] }
        return try await store.read { records in try await records.satellites.members(ofAny: groups) }
    }

    /// Deletes a group no satellite uses.
    public func delete(_ name: ResourceName, by actor: Fleet.Actor = .admin) async throws {
        try await change(by: actor) { changes in
            let users = try await changes.records.satellites.members(of: name.value, limit: 11)
            guard users.isEmpty else {
                var names = users.prefix(10).joined(separator: ", ")
                if users.count > 10 { names += ", …" }
                throw GroundControlError(.inUse, "group '\(name)' is used by satellite(s) \(names)")
            }
            guard try await changes.records.groups.delete(name.value) else {
                throw GroundControlError(.groupUnknown, "group '\(name)' does not exist")
            }
            _ = try await changes.revision()
            try await changes.groupDeleted(name.value)
            changes.audit("group.delete", name.value)
            try changes.emit(.groupChanged, subject: name.value, data: ["change": "deleted"])
        }
    }

    /// Records what the group's tags resolve to, unless the group changed since `revision` was read.
    /// Returns whether it was recorded.
    package func recordResolutions(
        group name: String, readAt revision: Int64, artifacts: [GroupArtifact]
    ) async throws -> Bool {
        try await change(by: .groundControl) { changes in
            guard let previous = try await changes.records.groups.named(name), previous.revision == revision else {
                return false
            }
            let next = try await changes.revision()
            try await changes.records.groups.setArtifacts(artifacts, revision: next, of: name)
            var resolved = previous
            resolved.artifacts = artifacts
            resolved.revision = next
            try await changes.groupChanged(to: resolved, from: previous)
            try changes.emit(.groupChanged, subject: name, data: ["change": "resolved", "revision": "\(next)"])
            return true
        }
    }

    /// A signature policy whose every key the satellites can use (checked here, so a bad key is
    /// a 400 now rather than a failed sync at every site).
    /// A satellite in several pull-through groups of one registry follows one rule that trusts
    /// all of their keys; a state allows 16 per policy. So the pull-through groups of a registry
    /// may trust at most 16 keys between them, or some satellite's state would be refused.
    static func checkMergedProxyKeys(
        adding verification: DesiredState.Verification, group: ResourceName, registry: ResourceName,
        _ records: FleetRecords
    ) async throws {
        var keys = Set(verification.keys)
        for other in try await records.groups.proxyVerifications(registry: registry.value, excluding: group.value) {
            keys.formUnion(other.keys)
        }
        let limit = DesiredState.Verification.maximumKeys
        guard keys.count <= limit else {
            throw GroundControlError(
                .invalidField,
                """
                verification.keys: the pull-through groups of registry '\(registry)' would trust \(keys.count) \
                keys between them, and a satellite in all of them follows one rule of at most \(limit)
                """
            )
        }
    }

    static func validatedRollout(_ raw: String?) throws(GroundControlError) -> RolloutPolicy? {
        guard let raw, !raw.isEmpty else { return nil }
        do { return try RolloutPolicy(raw) } catch { throw GroundControlError(.invalidField, "rollout: \(error)") }
    }

    static func validatedVerification(
        _ verification: DesiredState.Verification?
    ) throws(GroundControlError) -> DesiredState.Verification? {
        guard let verification else { return nil }
        do {
            try verification.validate(field: "verification")
        } catch {
            throw GroundControlError(.invalidField, "\(error.field): \(error.message)")
        }
        for (index, pem) in verification.keys.enumerated() {
            do {
                _ = try TrustedKey(pem: pem)
            } catch {
                throw GroundControlError(.invalidField, "verification.keys[\(index)]: \(error.message)")
            }
        }
        return verification
    }

    /// Pull-through rules with at least one pattern, each once, and a sane tag TTL; none stays none.
    static func validatedProxy(_ proxy: GroupProxy?) throws(GroundControlError) -> GroupProxy? {
        guard var proxy else { return nil }
        guard !proxy.repositories.isEmpty else {
            throw GroundControlError(.invalidField, "proxy.repositories: must allow at least one repository pattern")
        }
        if let ttl = proxy.tagTTL, !(0...31_536_000).contains(ttl) {
            throw GroundControlError(.invalidField, "proxy.tagTTL: must be 0 to 31536000 seconds, not \(ttl)")
        }
        var seen = Set<RepositoryPattern>()
        proxy.repositories = proxy.repositories.filter { seen.insert($0).inserted }
        return proxy
    }

    static func validatedArtifacts(
        _ artifacts: [GroupArtifact], registryKind: String
    ) throws(GroundControlError) -> [GroupArtifact] {
        var seen = Set<GroupArtifact>()
        var result: [GroupArtifact] = []
        for (index, artifact) in artifacts.enumerated() {
            let field = "artifacts[\(index)]"
            if artifact.isSelection || artifact.project != nil {
                try validateHarborEntry(artifact, field: field, registryKind: registryKind)
            } else {
                guard artifact.tag != nil || artifact.digest != nil else {
                    throw GroundControlError(
                        .invalidField,
                        "\(field): needs a tag, a digest, or both (or tag filters, from a registry of kind harbor)")
                }
            }
            if let priority = artifact.priority, priority != DesiredState.Artifact.critical {
                throw GroundControlError(
                    .invalidField, "\(field).priority: must be critical or absent, not '\(priority.prefix(40))'")
            }
            for (platformIndex, platform) in (artifact.platforms ?? []).enumerated() {
                do {
                    _ = try Platform(parsing: platform)
                } catch {
                    throw GroundControlError(.invalidField, "\(field).platforms[\(platformIndex)]: \(error.message)")
                }
            }
            let cleaned = artifact.identity
            guard seen.insert(cleaned).inserted else {
                let repository = artifact.fullRepository ?? "\(artifact.harborProject)/*"
                let tag = artifact.tag.map { ":\($0)" } ?? ""
                throw GroundControlError(.duplicate, "\(field): \(repository)\(tag) is listed twice")
            }
            result.append(cleaned)
        }
        return result
    }

    /// An entry naming a Harbor project or choosing tags by filter.
    private static func validateHarborEntry(
        _ artifact: GroupArtifact, field: String, registryKind: String
    ) throws(GroundControlError) {
        guard registryKind == "harbor" else {
            throw GroundControlError(
                .invalidField, "\(field): project and tag filters (tags, semver, latest) need a registry of kind harbor"
            )
        }
        if let project = artifact.project {
            guard project.utf8.count <= 255, RepositoryName.isValidComponent(project) else {
                throw GroundControlError(
                    .invalidField, "\(field).project: '\(project.prefix(80))' is not a Harbor project name")
            }
        }
        if artifact.isSelection {
            guard artifact.tag == nil, artifact.digest == nil else {
                throw GroundControlError(
                    .invalidField, "\(field): give tag filters (tags, semver, latest) or one tag or digest, not both")
            }
            try artifact.selection.validate(field: field)
        }
        if let whole = artifact.fullRepository {
            do {
                _ = try RepositoryName(whole)
            } catch {
                throw GroundControlError(.invalidField, "\(field).repository: \(error.message)")
            }
        }
        guard artifact.tag != nil || artifact.digest != nil || artifact.isSelection else {
            throw GroundControlError(.invalidField, "\(field): needs a tag, a digest, or tag filters")
        }
    }
}

extension GroupRecord {
    /// Every artifact its scan gate withholds.
    var heldBack: [HeldBackArtifact] { artifacts.flatMap { $0.heldBack ?? [] } }

    /// - Parameter missing: the projects each Harbor was found not to have, by registry.
    func view(missing: [String: Set<String>] = [:]) -> GroupView {
        var view = GroupView(
            name: name, registry: registry, artifacts: artifacts, proxy: proxy, revision: revision,
            updatedAt: Fleet.date(updatedAt))
        view.apply(scanGate)
        view.verification = verification
        view.rollout = rollout?.description
        view.syncWindows = syncWindows
        let absent = harborProjects.intersection(missing[registry] ?? []).sorted()
        view.missingProjects = absent.isEmpty ? nil : absent
        return view
    }
}

extension GroupView {
    mutating func apply(_ gate: ScanGate?) {
        maxSeverity = gate?.maxSeverity?.name
        requireScan = gate?.requireScan == true ? true : nil
    }
}

extension GroupArtifact {
    /// The entry as the admin wrote it, without what the resolver recorded.
    var identity: GroupArtifact {
        var entry = self
        entry.resolvedDigest = nil
        entry.resolved = nil
        entry.heldBack = nil
        return entry
    }

    /// The entry's tag filters.
    package var selection: TagSelection { TagSelection(tags: tags, semver: semver, latest: latest) }
}
