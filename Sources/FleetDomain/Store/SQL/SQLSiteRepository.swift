import FleetAPI

struct SQLSiteRepository: SiteRepository {
    let session: any FleetSession

    func settings(of site: String) async throws -> SiteSettings? {
        try await session.query("SELECT settings FROM sites WHERE name = ?", .text(site)).first?.optionalText(
            "settings"
        ).map { try StoredJSON.decode(SiteSettings.self, $0) }
    }

    func allSettings() async throws -> [String: SiteSettings] {
        var settings: [String: SiteSettings] = [:]
        for row in try await session.query("SELECT name, settings FROM sites WHERE settings IS NOT NULL") {
            settings[try row.text("name")] = try StoredJSON.decode(SiteSettings.self, try row.text("settings"))
        }
        return settings
    }

    func setSettings(_ settings: SiteSettings?, of site: String) async throws {
        try await session.query(
            "INSERT INTO sites (name, epoch, settings) VALUES (?, 0, ?) ON CONFLICT (name) DO UPDATE SET settings = ?",
            .text(site), try StoredJSON.column(settings), try StoredJSON.column(settings))
    }

    func epoch(of site: String) async throws -> Int64 {
        try await session.query("SELECT epoch FROM sites WHERE name = ?", .text(site)).first?.integer("epoch") ?? 0
    }

    func advance(_ site: String, by steps: Int64) async throws {
        try await session.query(
            "INSERT INTO sites (name, epoch) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET epoch = sites.epoch + ?",
            .text(site), .integer(steps), .integer(steps))
    }

    func members(of site: String, excluding excluded: String) async throws -> [SiteMember] {
        try await session.query(
            """
            SELECT name, advertised_url FROM satellites
            WHERE site = ? AND name <> ? AND status = 'registered' AND approved = 1
                ORDER BY name
            """, .text(site), .text(excluded)
        ).map { SiteMember(name: try $0.text("name"), advertisedURL: try $0.optionalText("advertised_url")) }
    }
}
