import Foundation
import OCI
import ImageSignatures
import SatelliteProtocol

extension Fleet {
    /// Creates or replaces a group. A tag kept from the previous version keeps its resolved digest
    /// until the resolver looks again.
    /// - Parameter expectedRevision: when given, the change is refused (`CHANGED`) unless the group
    ///   is still at this revision, so read-modify-write edits do not overwrite each other.
    public func putGroup(
        _ name: ResourceName, _ definition: GroupDefinition, expectedRevision: Int64? = nil, by actor: Actor = .admin
    ) async throws -> (GroupView, created: Bool) {
        let registry = try ResourceName(definition.registry, kind: "registry")
        let proxy = try Self.validatedProxy(definition.proxy)
        let at = Self.milliseconds(now())
        return try await store.transaction { session in
            guard let kind = try await session.query("SELECT kind FROM registries WHERE name = ?", .text(registry.value)).first?.text("kind") else {
                throw GroundControlError(.registryUnknown, "registry: '\(registry)' does not exist")
            }
            var artifacts = try Self.validatedArtifacts(definition.artifacts, registryKind: kind)
            let gate = try ScanGate.validated(definition, registryKind: kind)
            let verification = try Self.validatedVerification(definition.verification)
            let previous = try await session.query("SELECT \(GroupRecord.columns) FROM image_groups WHERE name = ?", .text(name.value))
                .first.map(GroupRecord.init)
            if let expectedRevision, previous?.revision != expectedRevision {
                throw GroundControlError(
                    .changed, "group '\(name)' is at revision \(previous.map { String($0.revision) } ?? "none"), not \(expectedRevision); read it again")
            }
            if let previous, previous.registry == registry.value {
                // What the resolver found stays until it looks again (the gate may differ now:
                // the next pass, which a change triggers at once, judges it anew).
                for index in artifacts.indices where artifacts[index].digest == nil {
                    guard let kept = previous.artifacts.first(where: { $0.identity == artifacts[index].identity }) else { continue }
                    artifacts[index].resolvedDigest = kept.resolvedDigest
                    artifacts[index].resolved = kept.resolved
                    artifacts[index].heldBack = kept.heldBack
                }
            }
            if proxy != nil, let verification {
                try await Self.checkMergedProxyKeys(adding: verification, group: name, registry: registry, session)
            }
            let revision = try await nextRevision(session)
            try await session.query(
                """
                INSERT INTO image_groups (name, registry, artifacts, proxy, revision, updated_at, scan_gate, verification)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET registry = excluded.registry, artifacts = excluded.artifacts,
                    proxy = excluded.proxy, revision = excluded.revision, updated_at = excluded.updated_at, scan_gate = excluded.scan_gate,
                    verification = excluded.verification
                """,
                .text(name.value), .text(registry.value), .text(try Self.json(artifacts)), try proxy.map { .text(try Self.json($0)) } ?? .null,
                .integer(revision), .integer(at), try gate.map { .text(try Self.json($0)) } ?? .null,
                try verification.map { .text(try Self.json($0)) } ?? .null)
            let rules = proxy.map { ", pull-through \($0.repositories.map(\.value).joined(separator: " "))" } ?? ""
            try await audit(session, actor, "group.put", name.value, "registry \(registry), \(artifacts.count) artifact(s)\(rules)")
            try await emit(session, .groupChanged, subject: name.value, data: ["change": previous == nil ? "created" : "edited", "revision": "\(revision)"])
            var view = GroupView(
                name: name.value, registry: registry.value, artifacts: artifacts, proxy: proxy, revision: revision, updatedAt: Self.date(at))
            view.apply(gate)
            view.verification = verification
            return (view, previous == nil)
        }
    }

    public func group(_ name: ResourceName) async throws -> GroupView {
        let (record, missing) = try await store.read { session in
            let record = try await session.query("SELECT \(GroupRecord.columns) FROM image_groups WHERE name = ?", .text(name.value))
                .first.map(GroupRecord.init)
            return (record, try await Self.missingProjects(session))
        }
        guard let record else { throw GroundControlError(.groupUnknown, "group '\(name)' does not exist") }
        return record.view(missing: missing)
    }

    public func groups() async throws -> [GroupView] {
        let (records, missing) = try await store.read { session in
            (try await session.query("SELECT \(GroupRecord.columns) FROM image_groups ORDER BY name").map(GroupRecord.init),
             try await Self.missingProjects(session))
        }
        return records.map { $0.view(missing: missing) }
    }

    func groupRecords() async throws -> [GroupRecord] {
        try await store.read { session in
            try await session.query("SELECT \(GroupRecord.columns) FROM image_groups ORDER BY name").map(GroupRecord.init)
        }
    }

    /// The satellites that use any of `groups`.
    func members(of groups: [String]) async throws -> Set<String> {
        guard !groups.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: groups.count).joined(separator: ", ")
        let rows = try await store.read { session in
            try await session.query(
                "SELECT DISTINCT satellite FROM satellite_groups WHERE group_name IN (\(placeholders))", groups.map { .text($0) })
        }
        return Set(try rows.map { try $0.text("satellite") })
    }

    /// Deletes a group no satellite uses.
    public func deleteGroup(_ name: ResourceName, by actor: Actor = .admin) async throws {
        try await store.transaction { session in
            let users = try await session.query(
                "SELECT satellite FROM satellite_groups WHERE group_name = ? ORDER BY satellite LIMIT 11", .text(name.value))
            guard users.isEmpty else {
                var names = try users.prefix(10).map { try $0.text("satellite") }.joined(separator: ", ")
                if users.count > 10 { names += ", …" }
                throw GroundControlError(.inUse, "group '\(name)' is used by satellite(s) \(names)")
            }
            let deleted = try await session.query("DELETE FROM image_groups WHERE name = ? RETURNING name", .text(name.value))
            guard !deleted.isEmpty else { throw GroundControlError(.groupUnknown, "group '\(name)' does not exist") }
            _ = try await nextRevision(session)
            try await audit(session, actor, "group.delete", name.value)
            try await emit(session, .groupChanged, subject: name.value, data: ["change": "deleted"])
        }
    }

    /// Records what the group's tags resolve to, unless the group changed since `revision` was read.
    /// Returns whether it was recorded.
    func recordResolutions(group name: String, readAt revision: Int64, artifacts: [GroupArtifact]) async throws -> Bool {
        try await store.transaction { session in
            let current = try await session.query("SELECT revision FROM image_groups WHERE name = ?", .text(name)).first?.integer("revision")
            guard current == revision else { return false }
            let next = try await nextRevision(session)
            try await session.query(
                "UPDATE image_groups SET artifacts = ?, revision = ? WHERE name = ?",
                .text(try Self.json(artifacts)), .integer(next), .text(name))
            try await emit(session, .groupChanged, subject: name, data: ["change": "resolved", "revision": "\(next)"])
            return true
        }
    }

    /// A signature policy whose every key the satellites can use (checked here, so a bad key is
    /// a 400 now rather than a failed sync at every site).
    /// A satellite in several pull-through groups of one registry follows one rule that trusts
    /// all of their keys; a state allows 16 per policy. So the pull-through groups of a registry
    /// may trust at most 16 keys between them, or some satellite's state would be refused.
    static func checkMergedProxyKeys(
        adding verification: DesiredState.Verification, group: ResourceName, registry: ResourceName, _ session: any FleetSession
    ) async throws {
        var keys = Set(verification.keys)
        for row in try await session.query(
            "SELECT verification FROM image_groups WHERE registry = ? AND name <> ? AND proxy IS NOT NULL AND verification IS NOT NULL",
            .text(registry.value), .text(group.value)) {
            keys.formUnion(try decode(DesiredState.Verification.self, try row.text("verification")).keys)
        }
        let limit = DesiredState.Verification.maximumKeys
        guard keys.count <= limit else {
            throw GroundControlError(
                .invalidField,
                "verification.keys: the pull-through groups of registry '\(registry)' would trust \(keys.count) keys between them, and a satellite in all of them follows one rule of at most \(limit)")
        }
    }

    static func validatedVerification(_ verification: DesiredState.Verification?) throws(GroundControlError) -> DesiredState.Verification? {
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

    static func validatedArtifacts(_ artifacts: [GroupArtifact], registryKind: String) throws(GroundControlError) -> [GroupArtifact] {
        var seen = Set<GroupArtifact>()
        var result: [GroupArtifact] = []
        for (index, artifact) in artifacts.enumerated() {
            let field = "artifacts[\(index)]"
            if artifact.isSelection || artifact.project != nil {
                try validateHarborEntry(artifact, field: field, registryKind: registryKind)
            } else {
                guard artifact.tag != nil || artifact.digest != nil else {
                    throw GroundControlError(.invalidField, "\(field): needs a tag, a digest, or both (or tag filters, from a registry of kind harbor)")
                }
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
                throw GroundControlError(.duplicate, "\(field): \(artifact.fullRepository ?? "\(artifact.harborProject)/*")\(artifact.tag.map { ":\($0)" } ?? "") is listed twice")
            }
            result.append(cleaned)
        }
        return result
    }

    /// An entry naming a Harbor project or choosing tags by filter.
    private static func validateHarborEntry(_ artifact: GroupArtifact, field: String, registryKind: String) throws(GroundControlError) {
        guard registryKind == "harbor" else {
            throw GroundControlError(.invalidField, "\(field): project and tag filters (tags, semver, latest) need a registry of kind harbor")
        }
        if let project = artifact.project {
            guard project.utf8.count <= 255, RepositoryName.isValidComponent(project) else {
                throw GroundControlError(.invalidField, "\(field).project: '\(project.prefix(80))' is not a Harbor project name")
            }
        }
        if artifact.isSelection {
            guard artifact.tag == nil, artifact.digest == nil else {
                throw GroundControlError(.invalidField, "\(field): give tag filters (tags, semver, latest) or one tag or digest, not both")
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

/// A group row with its artifacts decoded.
struct GroupRecord: Sendable {
    static let columns = "name, registry, artifacts, proxy, revision, updated_at, scan_gate, verification"

    let name: String
    let registry: String
    let artifacts: [GroupArtifact]
    let proxy: GroupProxy?
    let scanGate: ScanGate?
    let verification: DesiredState.Verification?
    let revision: Int64
    let updatedAt: Int64

    init(_ row: SQLRow) throws {
        name = try row.text("name")
        registry = try row.text("registry")
        artifacts = try Fleet.decode([GroupArtifact].self, try row.text("artifacts"))
        proxy = try row.optionalText("proxy").map { try Fleet.decode(GroupProxy.self, $0) }
        scanGate = try row.optionalText("scan_gate").map { try Fleet.decode(ScanGate.self, $0) }
        verification = try row.optionalText("verification").map { try Fleet.decode(DesiredState.Verification.self, $0) }
        revision = try row.integer("revision")
        updatedAt = try row.integer("updated_at")
    }

    /// Every artifact its scan gate withholds.
    var heldBack: [HeldBackArtifact] { artifacts.flatMap { $0.heldBack ?? [] } }

    /// - Parameter missing: the projects each Harbor was found not to have, by registry.
    func view(missing: [String: Set<String>] = [:]) -> GroupView {
        var view = GroupView(name: name, registry: registry, artifacts: artifacts, proxy: proxy, revision: revision, updatedAt: Fleet.date(updatedAt))
        view.apply(scanGate)
        view.verification = verification
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
    var selection: TagSelection { TagSelection(tags: tags, semver: semver, latest: latest) }
}
