import Foundation
import SatelliteProtocol

extension Fleet {
    /// Adds a pending satellite and returns its one-time registration token. A token that
    /// someone other than an admin asked for registers a satellite that awaits approval.
    public func createSatellite(_ definition: SatelliteDefinition, by principal: Principal = .bootstrapAdmin) async throws -> RegistrationToken {
        let name = try ResourceName(definition.name, kind: "name")
        let groups = try Self.groupNames(definition.groups)
        let labels = try Self.validatedLabels(definition.labels ?? [:])
        let site = try Self.site(in: labels)
        let settings = try Self.validatedSettings(definition.settings ?? .defaults)
        let token = Secret.make(prefix: Secret.registrationPrefix)
        let created = now()
        let expires = created.addingTimeInterval(tokenLifetime)
        try await store.transaction { session in
            guard try await session.query("SELECT 1 FROM satellites WHERE name = ?", .text(name.value)).isEmpty else {
                throw GroundControlError(.duplicate, "satellite '\(name)' already exists")
            }
            try await Self.requireGroups(groups, session)
            let revision = try await nextRevision(session)
            try await session.query(
                """
                INSERT INTO satellites
                    (name, status, labels, settings, revision, created_at, token_hash, token_expires_at, site, approved, token_approved)
                VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?, 0, ?)
                """,
                .text(name.value), .text(try Self.json(labels)), .text(try Self.json(settings)), .integer(revision),
                .integer(Self.milliseconds(created)), .text(Secret.hash(token)), .integer(Self.milliseconds(expires)),
                site.map(SQLValue.text) ?? .null, .bool(principal.mayApproveSatellites))
            for group in groups {
                try await session.query("INSERT INTO satellite_groups (satellite, group_name) VALUES (?, ?)", .text(name.value), .text(group.value))
            }
            try await audit(session, principal.actor, "satellite.create", name.value, "groups \(groups.map(\.value).joined(separator: ","))")
        }
        return RegistrationToken(name: name.value, token: token, expiresAt: expires)
    }

    public func satellite(_ name: ResourceName) async throws -> SatelliteView {
        let snapshot = try await store.read { session in
            try await FleetSnapshot.load(session, satellite: name.value)
        }
        guard let record = snapshot.satellites.first else {
            throw GroundControlError(.satelliteUnknown, "satellite '\(name)' does not exist")
        }
        return snapshot.view(of: record, now: now())
    }

    public func satellites() async throws -> [SatelliteView] {
        let snapshot = try await store.read { session in try await FleetSnapshot.load(session, satellite: nil) }
        return await snapshot.views(now: now())
    }

    public func deleteSatellite(_ name: ResourceName, by actor: Actor = .admin) async throws {
        try await store.transaction { session in
            let deleted = try await session.query("DELETE FROM satellites WHERE name = ? RETURNING site", .text(name.value))
            guard let row = deleted.first else {
                throw GroundControlError(.satelliteUnknown, "satellite '\(name)' does not exist")
            }
            try await session.query("DELETE FROM satellite_bundles WHERE satellite = ?", .text(name.value))
            // It knew the site's credential: its peers move past every credential it held.
            if let site = try row.optionalText("site") { try await rotateSite(site, steps: 2, session) }
            // The tombstone's revision is what tells every process's cache that credentials it
            // holds for this name are void.
            let revision = try await nextRevision(session)
            try await session.query(
                "INSERT INTO deleted_satellites (name, revision) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET revision = excluded.revision",
                .text(name.value), .integer(revision))
            try await audit(session, actor, "satellite.delete", name.value)
        }
    }

    /// Stops the satellite's credential and any unused token from working; the record stays.
    public func revokeSatellite(_ name: ResourceName, by actor: Actor = .admin) async throws {
        try await store.transaction { session in
            let updated = try await session.query(
                """
                UPDATE satellites SET status = 'revoked', credential_hash = NULL, next_credential_hash = NULL,
                    token_hash = NULL, token_expires_at = NULL, rotate_requested = 0
                WHERE name = ? RETURNING site
                """, .text(name.value))
            guard let row = updated.first else { throw GroundControlError(.satelliteUnknown, "satellite '\(name)' does not exist") }
            try await touch(name, session)
            if let site = try row.optionalText("site") { try await rotateSite(site, steps: 2, session) }
            try await audit(session, actor, "satellite.revoke", name.value)
        }
    }

    /// A new one-time registration token (to re-register a satellite, even a revoked one).
    /// The current credential keeps working, approved or not, until the token is used; the
    /// credential the token gets is approved only if an admin asked for the token.
    public func issueToken(_ name: ResourceName, by principal: Principal = .bootstrapAdmin) async throws -> RegistrationToken {
        let token = Secret.make(prefix: Secret.registrationPrefix)
        let expires = now().addingTimeInterval(tokenLifetime)
        try await store.transaction { session in
            let updated = try await session.query(
                """
                UPDATE satellites SET token_hash = ?, token_expires_at = ?, token_approved = ?,
                    status = CASE WHEN status = 'revoked' THEN 'pending' ELSE status END
                WHERE name = ? RETURNING name
                """, .text(Secret.hash(token)), .integer(Self.milliseconds(expires)), .bool(principal.mayApproveSatellites), .text(name.value))
            guard !updated.isEmpty else { throw GroundControlError(.satelliteUnknown, "satellite '\(name)' does not exist") }
            try await touch(name, session)
            try await audit(session, principal.actor, "satellite.token", name.value)
        }
        return RegistrationToken(name: name.value, token: token, expiresAt: expires)
    }

    /// Asks the satellite to switch credentials at its next heartbeat.
    public func requestRotation(_ name: ResourceName, by actor: Actor = .admin) async throws {
        try await store.transaction { session in
            let updated = try await session.query(
                "UPDATE satellites SET rotate_requested = 1 WHERE name = ? AND status = 'registered' RETURNING site", .text(name.value))
            guard let row = updated.first else {
                try await Self.requireSatellite(name, session)
                throw GroundControlError(.invalidField, "satellite '\(name)' is not registered; nothing to rotate")
            }
            try await touch(name, session)
            // The site's credential, and its Harbor robots' secrets, rotate with the satellite's own.
            if let site = try row.optionalText("site") { try await rotateSite(site, steps: 1, session) }
            try await Self.requestRobotRefresh(of: name.value, session)
            try await audit(session, actor, "satellite.rotate", name.value)
        }
    }

    public func addGroup(_ group: ResourceName, to name: ResourceName, by actor: Actor = .admin) async throws {
        try await store.transaction { session in
            try await Self.requireSatellite(name, session)
            try await Self.requireGroups([group], session)
            let inserted = try await session.query(
                "INSERT INTO satellite_groups (satellite, group_name) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING group_name",
                .text(name.value), .text(group.value))
            guard !inserted.isEmpty else { return }
            try await touch(name, session)
            try await audit(session, actor, "satellite.group.add", name.value, group.value)
        }
    }

    public func removeGroup(_ group: ResourceName, from name: ResourceName, by actor: Actor = .admin) async throws {
        try await store.transaction { session in
            try await Self.requireSatellite(name, session)
            let deleted = try await session.query(
                "DELETE FROM satellite_groups WHERE satellite = ? AND group_name = ? RETURNING group_name", .text(name.value), .text(group.value))
            guard !deleted.isEmpty else {
                throw GroundControlError(.groupUnknown, "satellite '\(name)' is not in group '\(group)'")
            }
            try await touch(name, session)
            try await audit(session, actor, "satellite.group.remove", name.value, group.value)
        }
    }

    public func updateSettings(_ settings: SatelliteSettings, of name: ResourceName, by actor: Actor = .admin) async throws {
        let settings = try Self.validatedSettings(settings)
        try await store.transaction { session in
            try await Self.requireSatellite(name, session)
            try await session.query("UPDATE satellites SET settings = ? WHERE name = ?", .text(try Self.json(settings)), .text(name.value))
            try await touch(name, session)
            try await audit(session, actor, "satellite.settings", name.value, try Self.json(settings))
        }
    }

    /// Stamps the satellite's row with a new revision: its settings, groups, status or secrets
    /// changed, so caches of it (in every process) must read it again.
    func touch(_ name: ResourceName, _ session: FleetRecords) async throws {
        let revision = try await nextRevision(session)
        try await session.query("UPDATE satellites SET revision = ? WHERE name = ?", .integer(revision), .text(name.value))
    }

    static func requireSatellite(_ name: ResourceName, _ session: FleetRecords) async throws {
        guard try await !session.query("SELECT 1 FROM satellites WHERE name = ?", .text(name.value)).isEmpty else {
            throw GroundControlError(.satelliteUnknown, "satellite '\(name)' does not exist")
        }
    }

    static func requireGroups(_ groups: [ResourceName], _ session: FleetRecords) async throws {
        for group in groups {
            guard try await !session.query("SELECT 1 FROM image_groups WHERE name = ?", .text(group.value)).isEmpty else {
                throw GroundControlError(.groupUnknown, "groups: '\(group)' does not exist")
            }
        }
    }

    static func groupNames(_ raw: [String]) throws(GroundControlError) -> [ResourceName] {
        var names: [ResourceName] = []
        for (index, name) in raw.enumerated() {
            let group = try ResourceName(name, kind: "groups[\(index)]")
            guard !names.contains(group) else { throw GroundControlError(.duplicate, "groups[\(index)]: '\(name)' is listed twice") }
            names.append(group)
        }
        return names
    }

    static func validatedLabels(_ labels: [String: String]) throws(GroundControlError) -> [String: String] {
        guard labels.count <= 64 else { throw GroundControlError(.invalidField, "labels: at most 64, not \(labels.count)") }
        for (key, value) in labels {
            guard (1...63).contains(key.utf8.count),
                  key.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._/-".unicodeScalars.contains($0)) })
            else {
                throw GroundControlError(.invalidField, "labels: key '\(key.prefix(80))' must be 1 to 63 letters, digits, '.', '_', '/' or '-'")
            }
            guard value.utf8.count <= 256 else { throw GroundControlError(.invalidField, "labels.\(key): longer than 256 bytes") }
        }
        return labels
    }

    static func validatedSettings(_ settings: SatelliteSettings) throws(GroundControlError) -> SatelliteSettings {
        guard (1...86_400).contains(settings.syncIntervalSeconds) else {
            throw GroundControlError(.invalidField, "settings.syncIntervalSeconds: must be 1 to 86400, not \(settings.syncIntervalSeconds)")
        }
        guard (1...86_400).contains(settings.heartbeatIntervalSeconds) else {
            throw GroundControlError(.invalidField, "settings.heartbeatIntervalSeconds: must be 1 to 86400, not \(settings.heartbeatIntervalSeconds)")
        }
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        guard levels.contains(settings.logLevel) else {
            throw GroundControlError(.invalidField, "settings.logLevel: must be one of \(levels.joined(separator: ", ")), not '\(settings.logLevel.prefix(40))'")
        }
        for (index, runtime) in (settings.runtimes ?? []).enumerated() where !SatelliteSettings.knownRuntimes.contains(runtime) {
            throw GroundControlError(
                .invalidField, "settings.runtimes[\(index)]: must be one of \(SatelliteSettings.knownRuntimes.joined(separator: ", ")), not '\(runtime.prefix(40))'")
        }
        if let runtimes = settings.runtimes, Set(runtimes).count != runtimes.count {
            throw GroundControlError(.invalidField, "settings.runtimes: lists a runtime twice")
        }
        if let bytes = settings.cacheMaxBytes, bytes < 1 {
            throw GroundControlError(.invalidField, "settings.cacheMaxBytes: must be a positive number of bytes, not \(bytes)")
        }
        return settings
    }
}
