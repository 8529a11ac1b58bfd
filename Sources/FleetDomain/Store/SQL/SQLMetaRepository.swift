struct SQLMetaRepository: MetaRepository {
    let session: any FleetSession
    let secrets: SecretColumns
    private let column = SealedColumn.metaSecret

    func value(_ key: String) async throws -> String? {
        let stored = try await session.query("SELECT value FROM fleet_meta WHERE key = ?", .text(key)).first?.text(
            "value")
        return column.covers(key) ? try secrets.open(optional: stored, column, key: key) : stored
    }

    func set(_ key: String, to value: String) async throws {
        try await session.query(
            "INSERT INTO fleet_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            .text(key), .text(try stored(value, key: key)))
    }

    func setIfAbsent(_ key: String, to value: String) async throws -> Bool {
        try await !session.query(
            "INSERT INTO fleet_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING RETURNING key", .text(key),
            .text(try stored(value, key: key))
        ).isEmpty
    }

    func hold(lease job: String, owner: String, until: Int64, now: Int64) async throws -> Bool {
        try await !session.query(
            """
            INSERT INTO job_leases (job, owner, until) VALUES (?, ?, ?)
            ON CONFLICT (job) DO UPDATE SET owner = excluded.owner, until = excluded.until
            WHERE job_leases.until <= ? OR job_leases.owner = excluded.owner
            RETURNING job
            """, .text(job), .text(owner), .integer(until), .integer(now)
        ).isEmpty
    }

    private func stored(_ value: String, key: String) throws -> String {
        column.covers(key) ? try secrets.seal(value, column, key: key) : value
    }
}
