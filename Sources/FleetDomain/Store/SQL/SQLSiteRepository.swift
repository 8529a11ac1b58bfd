struct SQLSiteRepository: SiteRepository {
    let session: any FleetSession

    func epoch(of site: String) async throws -> Int64 {
        try await session.query("SELECT epoch FROM sites WHERE name = ?", .text(site)).first?.integer("epoch") ?? 0
    }

    func advance(_ site: String, by steps: Int64) async throws {
        try await session.query(
            "INSERT INTO sites (name, epoch) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET epoch = sites.epoch + ?",
            .text(site), .integer(steps), .integer(steps))
    }

    func peers(of site: String, excluding excluded: String) async throws -> [String] {
        try await session.query(
            """
            SELECT advertised_url FROM satellites
            WHERE site = ? AND name <> ? AND status = 'registered' AND approved = 1 AND advertised_url IS NOT NULL
                ORDER BY advertised_url
            """, .text(site), .text(excluded)
        ).map { try $0.text("advertised_url") }
    }
}
