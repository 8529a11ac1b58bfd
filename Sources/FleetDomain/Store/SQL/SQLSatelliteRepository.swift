import SatelliteProtocol

struct SQLSatelliteRepository: SatelliteRepository {
    static let columns = """
        name, status, labels, settings, revision, created_at, registered_at, last_seen, polling_until, \
        applied_generation, report, rotate_requested, site, advertised_url, approved, token_approved
        """
    /// Longer lists of names are read a chunk at a time.
    static let chunk = 500

    let session: any FleetSession
    let dialect: SQLDialect

    func named(_ name: String) async throws -> SatelliteRecord? {
        try await session.query("SELECT \(Self.columns) FROM satellites WHERE name = ?", .text(name)).first.map(
            SatelliteRecord.init)
    }

    func all() async throws -> [SatelliteRecord] {
        try await session.query("SELECT \(Self.columns) FROM satellites ORDER BY name").map(SatelliteRecord.init)
    }

    func named(in names: [String]) async throws -> [SatelliteRecord] {
        var records: [SatelliteRecord] = []
        for chunk in Self.chunks(of: names) {
            records += try await session.query(
                "SELECT \(Self.columns) FROM satellites WHERE name IN (\(Self.placeholders(chunk.count)))",
                chunk.map(SQLValue.text)
            ).map(SatelliteRecord.init)
        }
        return records
    }

    func stateRow(of name: String) async throws -> SatelliteStateRow? {
        let rows = try await session.query(
            """
            SELECT s.revision AS revision, s.settings AS settings, m.group_name AS group_name, s.status AS status,
                   s.rotate_requested AS rotate_requested, s.site AS site, s.advertised_url AS advertised_url,
                   s.approved AS approved, s.sync_now AS sync_now FROM satellites s
            LEFT JOIN satellite_groups m ON m.satellite = s.name WHERE s.name = ? ORDER BY m.group_name
            """, .text(name))
        guard let first = rows.first else { return nil }
        return SatelliteStateRow(
            name: name, revision: try first.integer("revision"), status: try first.text("status"),
            rotateRequested: try first.bool("rotate_requested"), settingsJSON: try first.text("settings"),
            site: try first.optionalText("site"), advertisedURL: try first.optionalText("advertised_url"),
            approved: try first.bool("approved"), groups: try rows.compactMap { try $0.optionalText("group_name") },
            syncNow: try first.optionalText("sync_now"))
    }

    func setSyncNow(_ id: String, of name: String) async throws -> Bool {
        try await !session.query(
            "UPDATE satellites SET sync_now = ? WHERE name = ? RETURNING name", .text(id), .text(name)
        ).isEmpty
    }

    func create(_ satellite: NewSatellite) async throws {
        try await session.query(
            """
            INSERT INTO satellites
                (name, status, labels, settings, revision, created_at, token_hash, token_expires_at, site, approved,
                    token_approved)
            VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?, 0, ?)
            """,
            .text(satellite.name), .text(try StoredJSON.encode(satellite.labels)),
            .text(try StoredJSON.encode(satellite.settings)),
            .integer(satellite.revision), .integer(satellite.createdAt), .text(satellite.token.hash),
            .integer(satellite.token.expiresAt),
            .optional(satellite.site), .bool(satellite.token.approved))
        for group in satellite.groups {
            try await session.query(
                "INSERT INTO satellite_groups (satellite, group_name) VALUES (?, ?)", .text(satellite.name),
                .text(group))
        }
    }

    func delete(_ name: String, tombstoneRevision revision: Int64) async throws -> SatelliteRecord? {
        guard
            let deleted = try await session.query(
                "DELETE FROM satellites WHERE name = ? RETURNING \(Self.columns)", .text(name)
            ).first
        else { return nil }
        try await session.query(
            """
            INSERT INTO deleted_satellites (name, revision) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET
                revision = excluded.revision
            """,
            .text(name), .integer(revision))
        return try SatelliteRecord(deleted)
    }

    func setRevision(_ revision: Int64, of name: String) async throws {
        try await session.query("UPDATE satellites SET revision = ? WHERE name = ?", .integer(revision), .text(name))
    }

    func setRevision(_ revision: Int64, ofSite site: String) async throws -> Set<String> {
        Set(
            try await session.query(
                "UPDATE satellites SET revision = ? WHERE site = ? RETURNING name", .integer(revision), .text(site)
            )
            .map { try $0.text("name") })
    }

    func setSettings(_ settings: SatelliteSettings, of name: String) async throws {
        try await session.query(
            "UPDATE satellites SET settings = ? WHERE name = ?", .text(try StoredJSON.encode(settings)), .text(name))
    }

    func revisions(after revision: Int64) async throws -> [(name: String, revision: Int64)] {
        try await session.query(
            """
            SELECT name, revision FROM satellites WHERE revision > ? UNION ALL SELECT name, revision FROM
                deleted_satellites WHERE revision > ?
            """,
            .integer(revision), .integer(revision)
        ).map { (try $0.text("name"), try $0.integer("revision")) }
    }

    func revoke(_ name: String) async throws -> SatelliteRecord? {
        try await session.query(
            """
            UPDATE satellites SET status = 'revoked', credential_hash = NULL, next_credential_hash = NULL,
                token_hash = NULL, token_expires_at = NULL, rotate_requested = 0
            WHERE name = ? RETURNING \(Self.columns)
            """, .text(name)
        ).first.map(SatelliteRecord.init)
    }

    func issueToken(_ token: TokenGrant, to name: String) async throws -> Bool {
        try await !session.query(
            """
            UPDATE satellites SET token_hash = ?, token_expires_at = ?, token_approved = ?,
                status = CASE WHEN status = 'revoked' THEN 'pending' ELSE status END
            WHERE name = ? RETURNING name
            """, .text(token.hash), .integer(token.expiresAt), .bool(token.approved), .text(name)
        ).isEmpty
    }

    func requestRotation(of name: String) async throws -> SatelliteRecord? {
        try await session.query(
            """
            UPDATE satellites SET rotate_requested = 1 WHERE name = ? AND status = 'registered' RETURNING
                \(Self.columns)
            """,
            .text(name)
        ).first.map(SatelliteRecord.init)
    }

    func approve(_ name: String) async throws -> SatelliteRecord? {
        try await session.query(
            "UPDATE satellites SET approved = 1, token_approved = 1 WHERE name = ? RETURNING \(Self.columns)",
            .text(name)
        ).first.map(SatelliteRecord.init)
    }

    func setAdvertisedURL(_ url: String?, of name: String) async throws -> SatelliteRecord? {
        try await session.query(
            """
            UPDATE satellites SET advertised_url = ? WHERE name = ? AND status = 'registered' RETURNING
                \(Self.columns)
            """,
            .optional(url), .text(name)
        ).first.map(SatelliteRecord.init)
    }

    func recordHeartbeat(of name: String, at: Int64, report: StatusReport, digest: String?) async throws {
        try await session.query(
            """
            UPDATE satellites SET last_seen = ?, reported_at = ?, applied_generation = ?, report = ?,
                status_digest = ?
            WHERE name = ? AND status = 'registered'
            """,
            .integer(at), .integer(at), .integer(report.generation), .text(try StoredJSON.encode(report)),
            digest.map(SQLValue.text) ?? .null, .text(name))
    }

    func recordPresence(of name: String, at: Int64, pollingUntil: Int64?) async throws {
        try await session.query(
            """
            UPDATE satellites SET last_seen = ?, polling_until = COALESCE(?, polling_until)
            WHERE name = ? AND status = 'registered'
            """,
            .integer(at), pollingUntil.map(SQLValue.integer) ?? .null, .text(name))
    }

    func statusDigest(of name: String) async throws -> String? {
        try await session.query("SELECT status_digest FROM satellites WHERE name = ?", .text(name)).first?
            .optionalText("status_digest")
    }

    func tokenHolder(tokenHash: String) async throws -> TokenHolder? {
        guard
            let row = try await session.query(
                "SELECT name, token_expires_at, settings FROM satellites WHERE token_hash = ?", .text(tokenHash)
            ).first
        else { return nil }
        return TokenHolder(
            name: try row.text("name"), expiresAt: try row.optionalInteger("token_expires_at"),
            settings: try StoredJSON.decode(SatelliteSettings.self, try row.text("settings")))
    }

    func register(_ name: String, tokenHash: String, credentialHash: String, at: Int64) async throws -> Bool {
        try await !session.query(
            """
            UPDATE satellites SET token_hash = NULL, token_expires_at = NULL, credential_hash = ?,
                next_credential_hash = NULL, rotate_requested = 0, status = 'registered', registered_at = ?,
                advertised_url = NULL, approved = token_approved
            WHERE name = ? AND token_hash = ? RETURNING name
            """, .text(credentialHash), .integer(at), .text(name), .text(tokenHash)
        ).isEmpty
    }

    func credentialHolder(credentialHash hash: String) async throws -> CredentialHolder? {
        guard
            let row = try await session.query(
                """
                SELECT name, revision, CASE WHEN next_credential_hash = ? THEN 1 ELSE 0 END AS is_next FROM satellites
                WHERE credential_hash = ? OR next_credential_hash = ?
                """, .text(hash), .text(hash), .text(hash)
            ).first
        else { return nil }
        return CredentialHolder(
            name: try row.text("name"), revision: try row.integer("revision"), isNext: try row.bool("is_next"))
    }

    func retirePreviousCredential(of name: String, nextHash: String) async throws {
        try await session.query(
            """
            UPDATE satellites SET credential_hash = next_credential_hash, next_credential_hash = NULL WHERE name =
                ? AND next_credential_hash = ?
            """,
            .text(name), .text(nextHash))
    }

    func issueNextCredential(_ hash: String, to name: String) async throws -> Bool {
        try await !session.query(
            """
            UPDATE satellites SET next_credential_hash = ?, rotate_requested = 0 WHERE name = ? AND
                rotate_requested = 1 RETURNING name
            """,
            .text(hash), .text(name)
        ).isEmpty
    }

    func groups(of names: [String]?) async throws -> [String: [String]] {
        var groups: [String: [String]] = [:]
        func collect(_ rows: [SQLRow]) throws {
            for row in rows { groups[try row.text("satellite"), default: []].append(try row.text("group_name")) }
        }
        guard let names else {
            try collect(
                try await session.query(
                    "SELECT satellite, group_name FROM satellite_groups ORDER BY satellite, group_name"))
            return groups
        }
        for chunk in Self.chunks(of: names) {
            try collect(
                try await session.query(
                    """
                    SELECT satellite, group_name FROM satellite_groups WHERE satellite IN
                        (\(Self.placeholders(chunk.count))) ORDER BY satellite, group_name
                    """,
                    chunk.map(SQLValue.text)))
        }
        return groups
    }

    func addGroup(_ group: String, to name: String) async throws -> Bool {
        try await !session.query(
            """
            INSERT INTO satellite_groups (satellite, group_name) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING
                group_name
            """,
            .text(name), .text(group)
        ).isEmpty
    }

    func removeGroup(_ group: String, from name: String) async throws -> Bool {
        try await !session.query(
            "DELETE FROM satellite_groups WHERE satellite = ? AND group_name = ? RETURNING group_name", .text(name),
            .text(group)
        ).isEmpty
    }

    func members(ofAny groups: [String]) async throws -> Set<String> {
        var members = Set<String>()
        for chunk in Self.chunks(of: groups) {
            for row in try await session.query(
                """
                SELECT DISTINCT satellite FROM satellite_groups WHERE group_name IN
                    (\(Self.placeholders(chunk.count)))
                """,
                chunk.map(SQLValue.text))
            {
                members.insert(try row.text("satellite"))
            }
        }
        return members
    }

    func members(of group: String, limit: Int) async throws -> [String] {
        try await session.query(
            "SELECT satellite FROM satellite_groups WHERE group_name = ? ORDER BY satellite LIMIT ?", .text(group),
            .integer(Int64(limit))
        ).map { try $0.text("satellite") }
    }

    func registered() async throws -> [RegisteredSatellite] {
        try await registered(where: "", [])
    }

    func registered(named names: [String]) async throws -> [RegisteredSatellite] {
        var rows: [RegisteredSatellite] = []
        for chunk in Self.chunks(of: names) {
            rows += try await registered(
                where: "AND name IN (\(Self.placeholders(chunk.count)))", chunk.map(SQLValue.text))
        }
        return rows
    }

    func registered(reportedSince since: Int64) async throws -> [RegisteredSatellite] {
        try await registered(where: "AND reported_at >= ?", [.integer(since)])
    }

    private func registered(where condition: String, _ values: [SQLValue]) async throws -> [RegisteredSatellite] {
        try await session.query(
            """
            SELECT name, revision, last_seen, polling_until, applied_generation, status_digest FROM satellites
            WHERE status = 'registered' \(condition)
            """, values
        ).map { row in
            RegisteredSatellite(
                name: try row.text("name"), revision: try row.integer("revision"),
                lastSeen: try row.optionalInteger("last_seen"), pollingUntil: try row.optionalInteger("polling_until"),
                appliedGeneration: try row.optionalInteger("applied_generation"),
                statusDigest: try row.optionalText("status_digest"))
        }
    }

    static func chunks(of names: [String]) -> [ArraySlice<String>] {
        stride(from: 0, to: names.count, by: chunk).map { names[$0..<min($0 + chunk, names.count)] }
    }

    static func placeholders(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ", ") }
}

extension SatelliteRecord {
    init(_ row: SQLRow) throws {
        let status = try row.text("status")
        self.init(
            name: try row.text("name"), status: status,
            labels: try StoredJSON.decode([String: String].self, try row.text("labels")),
            settings: try StoredJSON.decode(SatelliteSettings.self, try row.text("settings")),
            revision: try row.integer("revision"),
            createdAt: try row.integer("created_at"), registeredAt: try row.optionalInteger("registered_at"),
            lastSeen: try row.optionalInteger("last_seen"), pollingUntil: try row.optionalInteger("polling_until"),
            appliedGeneration: try row.optionalInteger("applied_generation"),
            report: try row.optionalText("report").map { try StoredJSON.decode(StatusReport.self, $0) },
            rotateRequested: try row.bool("rotate_requested"), site: try row.optionalText("site"),
            advertisedURL: try row.optionalText("advertised_url"),
            approved: status == "pending" ? try row.bool("token_approved") : try row.bool("approved"))
    }
}
