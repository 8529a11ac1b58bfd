struct SQLBundleRepository: BundleRepository {
    let session: any FleetSession

    func digests(of satellite: String, generation: Int64) async throws -> [String]? {
        try await session.query(
            "SELECT digests FROM satellite_bundles WHERE satellite = ? AND generation = ?", .text(satellite),
            .integer(generation)
        ).first.map { try StoredJSON.decode([String].self, try $0.text("digests")) }
    }

    func record(of satellite: String, generation: Int64, at: Int64, digests: [String], keep: Int) async throws {
        try await session.query(
            """
            INSERT INTO satellite_bundles (satellite, generation, created_at, digests) VALUES (?, ?, ?, ?)
            ON CONFLICT (satellite, generation) DO UPDATE SET created_at = excluded.created_at, digests =
                excluded.digests
            """, .text(satellite), .integer(generation), .integer(at), .text(try StoredJSON.encode(digests)))
        try await session.query(
            """
            DELETE FROM satellite_bundles WHERE satellite = ? AND generation NOT IN
                (SELECT generation FROM satellite_bundles WHERE satellite = ? ORDER BY generation DESC LIMIT
                    \(max(keep, 1)))
            """, .text(satellite), .text(satellite))
    }

    func deleteAll(of satellite: String) async throws {
        try await session.query("DELETE FROM satellite_bundles WHERE satellite = ?", .text(satellite))
    }
}
