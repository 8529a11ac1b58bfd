struct SQLMetaRepository: MetaRepository {
    let session: any FleetSession

    func value(_ key: String) async throws -> String? {
        try await session.query("SELECT value FROM fleet_meta WHERE key = ?", .text(key)).first?.text("value")
    }

    func set(_ key: String, to value: String) async throws {
        try await session.query(
            "INSERT INTO fleet_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            .text(key), .text(value))
    }

    func setIfAbsent(_ key: String, to value: String) async throws -> Bool {
        try await !session.query(
            "INSERT INTO fleet_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING RETURNING key", .text(key),
            .text(value)
        ).isEmpty
    }
}
