struct SQLRegistryRepository: RegistryRepository {
    static let columns =
        "name, url, kind, username, password, insecure, revision, updated_at, webhook_secret_hash, robot_duration_days"

    let session: any FleetSession
    let secrets: SecretColumns

    func named(_ name: String) async throws -> RegistryRecord? {
        try await session.query("SELECT \(Self.columns) FROM registries WHERE name = ?", .text(name)).first.map(
            record)
    }

    func all() async throws -> [RegistryRecord] {
        try await session.query("SELECT \(Self.columns) FROM registries ORDER BY name").map(record)
    }

    func put(_ registry: RegistryRecord) async throws -> Bool {
        let existed = try await !session.query("SELECT 1 FROM registries WHERE name = ?", .text(registry.name)).isEmpty
        try await session.query(
            """
            INSERT INTO registries (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET url = excluded.url, kind = excluded.kind, username = excluded.username,
                password = excluded.password, insecure = excluded.insecure, revision = excluded.revision,
                updated_at = excluded.updated_at, webhook_secret_hash = excluded.webhook_secret_hash,
                robot_duration_days = excluded.robot_duration_days
            """,
            .text(registry.name), .text(registry.url), .text(registry.kind), .optional(registry.username),
            try secrets.seal(optional: registry.password, .registryPassword, key: registry.name),
            .bool(registry.insecure), .integer(registry.revision),
            .integer(registry.updatedAt),
            .optional(registry.webhookSecretHash), registry.robotDurationDays.map { .integer(Int64($0)) } ?? .null)
        return !existed
    }

    func delete(_ name: String) async throws -> Bool {
        try await !session.query("DELETE FROM registries WHERE name = ? RETURNING name", .text(name)).isEmpty
    }

    package func name(webhookSecretHash hash: String) async throws -> String? {
        try await session.query("SELECT name FROM registries WHERE webhook_secret_hash = ?", .text(hash)).first?.text(
            "name")
    }
}

extension SQLRegistryRepository {
    private func record(_ row: SQLRow) throws -> RegistryRecord {
        let name = try row.text("name")
        return RegistryRecord(
            name: name, url: try row.text("url"), kind: try row.text("kind"),
            username: try row.optionalText("username"),
            password: try secrets.open(optional: row.optionalText("password"), .registryPassword, key: name),
            insecure: try row.bool("insecure"), revision: try row.integer("revision"),
            updatedAt: try row.integer("updated_at"),
            webhookSecretHash: try row.optionalText("webhook_secret_hash"),
            robotDurationDays: try row.optionalInteger("robot_duration_days").map { Int($0) })
    }
}
