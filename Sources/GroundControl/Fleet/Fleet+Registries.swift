import Foundation
import SatelliteProtocol

extension Fleet {
    /// Creates or replaces a registry; returns it and whether it is new.
    public func putRegistry(_ name: ResourceName, _ definition: RegistryDefinition, by actor: Actor = .admin) async throws -> (RegistryView, created: Bool) {
        let kind = definition.kind ?? "oci"
        guard kind == "oci" || kind == "harbor" else {
            throw GroundControlError(
                .invalidField, "kind: '\(kind.prefix(40))' is not supported; use 'oci' (any Distribution API registry) or 'harbor'")
        }
        try Self.validateRegistryURL(definition.url)
        if definition.password != nil && (definition.username ?? "").isEmpty {
            throw GroundControlError(.invalidField, "username: is required with a password")
        }
        if kind == "harbor" && definition.password == nil {
            throw GroundControlError(
                .invalidField, "password: a registry of kind harbor needs an admin's (or a robot-managing system robot's) username and password")
        }
        if let days = definition.robotDurationDays {
            guard kind == "harbor" else { throw GroundControlError(.invalidField, "robotDurationDays: only a registry of kind harbor has robots") }
            guard (1...365).contains(days) else { throw GroundControlError(.invalidField, "robotDurationDays: must be 1 to 365, not \(days)") }
        }
        if let secret = definition.webhookSecret {
            do {
                try DesiredState.checkCredential(secret, field: "webhookSecret")
            } catch {
                throw GroundControlError(.invalidField, error.description)
            }
        }
        let at = Self.milliseconds(now())
        return try await store.transaction { session in
            let revision = try await nextRevision(session)
            let existed = try await !session.query("SELECT 1 FROM registries WHERE name = ?", .text(name.value)).isEmpty
            try await session.query(
                """
                INSERT INTO registries (name, url, kind, username, password, insecure, revision, updated_at, webhook_secret_hash, robot_duration_days)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET url = excluded.url, kind = excluded.kind, username = excluded.username,
                    password = excluded.password, insecure = excluded.insecure, revision = excluded.revision,
                    updated_at = excluded.updated_at, webhook_secret_hash = excluded.webhook_secret_hash,
                    robot_duration_days = excluded.robot_duration_days
                """,
                .text(name.value), .text(definition.url), .text(kind), .optional(definition.username),
                .optional(definition.password), .bool(definition.insecure ?? false), .integer(revision), .integer(at),
                .optional(definition.webhookSecret.map(Secret.hash)),
                definition.robotDurationDays.map { .integer(Int64($0)) } ?? .null)
            try await audit(session, actor, "registry.put", name.value, definition.url)
            var view = RegistryView(
                name: name.value, url: definition.url, kind: kind, username: definition.username,
                passwordSet: definition.password != nil, insecure: definition.insecure ?? false, updatedAt: Self.date(at))
            view.webhookSet = definition.webhookSecret != nil
            if kind == "harbor" { view.robotDurationDays = definition.robotDurationDays ?? RegistryRecord.defaultRobotDays }
            return (view, !existed)
        }
    }

    public func registry(_ name: ResourceName) async throws -> RegistryView {
        guard let record = try await registryRecord(name.value) else {
            throw GroundControlError(.registryUnknown, "registry '\(name)' does not exist")
        }
        return record.view
    }

    public func registries() async throws -> [RegistryView] {
        try await store.read { session in
            try await session.query("SELECT \(RegistryRecord.columns) FROM registries ORDER BY name").map(RegistryRecord.init).map(\.view)
        }
    }

    /// Deletes a registry no group uses.
    public func deleteRegistry(_ name: ResourceName, by actor: Actor = .admin) async throws {
        try await store.transaction { session in
            let users = try await session.query("SELECT name FROM image_groups WHERE registry = ? ORDER BY name", .text(name.value))
            guard users.isEmpty else {
                let names = try users.map { try $0.text("name") }.joined(separator: ", ")
                throw GroundControlError(.inUse, "registry '\(name)' is used by group(s) \(names)")
            }
            // Deleted with them, its robots would stay in Harbor with nobody left to delete them.
            let robots = try await session.query("SELECT COUNT(*) AS robots FROM harbor_robots WHERE registry = ?", .text(name.value))
            if let count = try robots.first?.integer("robots"), count > 0 {
                throw GroundControlError(
                    .inUse,
                    "registry '\(name)' still has \(count) robot(s) in Harbor that Ground Control has not deleted yet (is Harbor reachable?); delete the registry once they are gone")
            }
            let deleted = try await session.query("DELETE FROM registries WHERE name = ? RETURNING name", .text(name.value))
            guard !deleted.isEmpty else { throw GroundControlError(.registryUnknown, "registry '\(name)' does not exist") }
            _ = try await nextRevision(session)
            try await audit(session, actor, "registry.delete", name.value)
        }
    }

    /// The registry whose webhook presents `authorization` (the header as sent, or after `Bearer `).
    public func registry(webhookAuthorization authorization: String) async throws -> String? {
        var candidates = [authorization.trimmingCharacters(in: .whitespaces)]
        if candidates[0].lowercased().hasPrefix("bearer ") { candidates.append(String(candidates[0].dropFirst(7)).trimmingCharacters(in: .whitespaces)) }
        for candidate in candidates where !candidate.isEmpty {
            let found = try await store.read { session in
                try await session.query("SELECT name FROM registries WHERE webhook_secret_hash = ?", .text(Secret.hash(candidate))).first?.text("name")
            }
            if let found { return found }
        }
        return nil
    }

    func registryRecord(_ name: String) async throws -> RegistryRecord? {
        try await store.read { session in
            try await session.query("SELECT \(RegistryRecord.columns) FROM registries WHERE name = ?", .text(name)).first.map(RegistryRecord.init)
        }
    }

    static func validateRegistryURL(_ url: String) throws(GroundControlError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
              components.query == nil, components.fragment == nil, components.user == nil
        else {
            throw GroundControlError(.invalidField, "url: must be http(s)://host[:port] with no credentials, query or fragment, not '\(url.prefix(200))'")
        }
    }
}

/// A registry row, password included (it is handed to satellites, never shown by the API).
struct RegistryRecord: Sendable {
    static let columns = "name, url, kind, username, password, insecure, revision, updated_at, webhook_secret_hash, robot_duration_days"
    static let defaultRobotDays = 30

    let name: String
    let url: String
    let kind: String
    let username: String?
    let password: String?
    let insecure: Bool
    let revision: Int64
    let updatedAt: Int64
    let webhookSet: Bool
    let robotDurationDays: Int

    var isHarbor: Bool { kind == "harbor" }

    init(_ row: SQLRow) throws {
        name = try row.text("name")
        url = try row.text("url")
        kind = try row.text("kind")
        username = try row.optionalText("username")
        password = try row.optionalText("password")
        insecure = try row.bool("insecure")
        revision = try row.integer("revision")
        updatedAt = try row.integer("updated_at")
        webhookSet = try row.optionalText("webhook_secret_hash") != nil
        robotDurationDays = try row.optionalInteger("robot_duration_days").map { Int($0) } ?? Self.defaultRobotDays
    }

    var view: RegistryView {
        var view = RegistryView(
            name: name, url: url, kind: kind, username: username, passwordSet: password != nil,
            insecure: insecure, updatedAt: Fleet.date(updatedAt))
        view.webhookSet = webhookSet
        if isHarbor { view.robotDurationDays = robotDurationDays }
        return view
    }
}
