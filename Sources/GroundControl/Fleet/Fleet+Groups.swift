import Foundation
import OCI
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
        let validated = try Self.validatedArtifacts(definition.artifacts)
        let proxy = try Self.validatedProxy(definition.proxy)
        let at = Self.milliseconds(now())
        return try await store.transaction { session in
            var artifacts = validated
            guard try await !session.query("SELECT 1 FROM registries WHERE name = ?", .text(registry.value)).isEmpty else {
                throw GroundControlError(.registryUnknown, "registry: '\(registry)' does not exist")
            }
            let previous = try await session.query("SELECT \(GroupRecord.columns) FROM image_groups WHERE name = ?", .text(name.value))
                .first.map(GroupRecord.init)
            if let expectedRevision, previous?.revision != expectedRevision {
                throw GroundControlError(
                    .changed, "group '\(name)' is at revision \(previous.map { String($0.revision) } ?? "none"), not \(expectedRevision); read it again")
            }
            if let previous, previous.registry == registry.value {
                for index in artifacts.indices where artifacts[index].digest == nil {
                    artifacts[index].resolvedDigest = previous.artifacts.first {
                        $0.repository == artifacts[index].repository && $0.tag == artifacts[index].tag
                    }?.resolvedDigest
                }
            }
            let revision = try await nextRevision(session)
            try await session.query(
                """
                INSERT INTO image_groups (name, registry, artifacts, proxy, revision, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET registry = excluded.registry, artifacts = excluded.artifacts,
                    proxy = excluded.proxy, revision = excluded.revision, updated_at = excluded.updated_at
                """,
                .text(name.value), .text(registry.value), .text(try Self.json(artifacts)), try proxy.map { .text(try Self.json($0)) } ?? .null,
                .integer(revision), .integer(at))
            let rules = proxy.map { ", pull-through \($0.repositories.map(\.value).joined(separator: " "))" } ?? ""
            try await audit(session, actor, "group.put", name.value, "registry \(registry), \(artifacts.count) artifact(s)\(rules)")
            let view = GroupView(
                name: name.value, registry: registry.value, artifacts: artifacts, proxy: proxy, revision: revision, updatedAt: Self.date(at))
            return (view, previous == nil)
        }
    }

    public func group(_ name: ResourceName) async throws -> GroupView {
        let record = try await store.read { session in
            try await session.query("SELECT \(GroupRecord.columns) FROM image_groups WHERE name = ?", .text(name.value)).first.map(GroupRecord.init)
        }
        guard let record else { throw GroundControlError(.groupUnknown, "group '\(name)' does not exist") }
        return record.view
    }

    public func groups() async throws -> [GroupView] {
        try await groupRecords().map(\.view)
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
            return true
        }
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

    static func validatedArtifacts(_ artifacts: [GroupArtifact]) throws(GroundControlError) -> [GroupArtifact] {
        var seen = Set<GroupArtifact>()
        var result: [GroupArtifact] = []
        for (index, artifact) in artifacts.enumerated() {
            let field = "artifacts[\(index)]"
            guard artifact.tag != nil || artifact.digest != nil else {
                throw GroundControlError(.invalidField, "\(field): needs a tag, a digest, or both")
            }
            for (platformIndex, platform) in (artifact.platforms ?? []).enumerated() {
                do {
                    _ = try Platform(parsing: platform)
                } catch {
                    throw GroundControlError(.invalidField, "\(field).platforms[\(platformIndex)]: \(error.message)")
                }
            }
            var cleaned = artifact
            cleaned.resolvedDigest = nil
            guard seen.insert(cleaned).inserted else {
                throw GroundControlError(.duplicate, "\(field): \(artifact.repository)\(artifact.tag.map { ":\($0)" } ?? "") is listed twice")
            }
            result.append(cleaned)
        }
        return result
    }
}

/// A group row with its artifacts decoded.
struct GroupRecord: Sendable {
    static let columns = "name, registry, artifacts, proxy, revision, updated_at"

    let name: String
    let registry: String
    let artifacts: [GroupArtifact]
    let proxy: GroupProxy?
    let revision: Int64
    let updatedAt: Int64

    init(_ row: SQLRow) throws {
        name = try row.text("name")
        registry = try row.text("registry")
        artifacts = try Fleet.decode([GroupArtifact].self, try row.text("artifacts"))
        proxy = try row.optionalText("proxy").map { try Fleet.decode(GroupProxy.self, $0) }
        revision = try row.integer("revision")
        updatedAt = try row.integer("updated_at")
    }

    var view: GroupView {
        GroupView(name: name, registry: registry, artifacts: artifacts, proxy: proxy, revision: revision, updatedAt: Fleet.date(updatedAt))
    }
}
