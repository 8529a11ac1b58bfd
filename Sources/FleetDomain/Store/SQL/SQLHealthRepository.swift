struct SQLHealthRepository: HealthRepository {
    let session: any FleetSession

    func all() async throws -> [String: HealthRecord] {
        try await records(where: "", [])
    }

    func named(in names: [String]) async throws -> [String: HealthRecord] {
        var known: [String: HealthRecord] = [:]
        for chunk in SQLSatelliteRepository.chunks(of: names) {
            known.merge(
                try await records(
                    where: "WHERE name IN (\(SQLSatelliteRepository.placeholders(chunk.count)))",
                    chunk.map(SQLValue.text))
            ) { first, _ in first }
        }
        return known
    }

    private func records(where condition: String, _ values: [SQLValue]) async throws -> [String: HealthRecord] {
        var known: [String: HealthRecord] = [:]
        for row in try await session.query(
            "SELECT name, state, drifting, failed_sync_at, budget_exhausted FROM satellite_health \(condition)", values)
        {
            known[try row.text("name")] = HealthRecord(
                state: try row.text("state"), drifting: try row.bool("drifting"),
                failedSyncAt: try row.optionalInteger("failed_sync_at"),
                budgetExhausted: try row.text("budget_exhausted"))
        }
        return known
    }

    func reset(_ name: String, to health: HealthRecord) async throws {
        try await session.query(
            """
            INSERT INTO satellite_health (name, state, drifting, failed_sync_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET state = excluded.state, drifting = excluded.drifting, failed_sync_at =
                excluded.failed_sync_at
            """, .text(name), .text(health.state), .bool(health.drifting),
            health.failedSyncAt.map(SQLValue.integer) ?? .null)
    }

    func insertIfAbsent(_ name: String, _ health: HealthRecord) async throws -> Bool {
        try await !session.query(
            """
            INSERT INTO satellite_health (name, state, drifting, failed_sync_at) VALUES (?, ?, ?, ?) ON CONFLICT
                (name) DO NOTHING RETURNING name
            """,
            .text(name), .text(health.state), .bool(health.drifting), health.failedSyncAt.map(SQLValue.integer) ?? .null
        ).isEmpty
    }

    func claimState(of name: String, from: String, to: String) async throws -> Bool {
        try await !session.query(
            "UPDATE satellite_health SET state = ? WHERE name = ? AND state = ? RETURNING name", .text(to), .text(name),
            .text(from)
        ).isEmpty
    }

    func claimDrifting(of name: String, from: Bool, to: Bool) async throws -> Bool {
        try await !session.query(
            "UPDATE satellite_health SET drifting = ? WHERE name = ? AND drifting = ? RETURNING name", .bool(to),
            .text(name), .bool(from)
        ).isEmpty
    }

    func claimFailedSync(of name: String, at: Int64) async throws -> Bool {
        try await !session.query(
            """
            UPDATE satellite_health SET failed_sync_at = ? WHERE name = ? AND (failed_sync_at IS NULL OR
                failed_sync_at < ?) RETURNING name
            """,
            .integer(at), .text(name), .integer(at)
        ).isEmpty
    }

    func claimBudgetExhausted(of name: String, from: String, to: String) async throws -> Bool {
        try await !session.query(
            "UPDATE satellite_health SET budget_exhausted = ? WHERE name = ? AND budget_exhausted = ? RETURNING name",
            .text(to), .text(name), .text(from)
        ).isEmpty
    }
}
