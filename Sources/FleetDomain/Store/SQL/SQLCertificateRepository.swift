struct SQLCertificateRepository: CertificateRepository {
    static let columns = "serial, satellite, issued_at, not_after, revoked_at"

    let session: any FleetSession

    func record(_ certificate: CertificateRecord) async throws {
        try await session.query(
            "INSERT INTO satellite_certificates (\(Self.columns)) VALUES (?, ?, ?, ?, ?)", .text(certificate.serial),
            .text(certificate.satellite), .integer(certificate.issuedAt), .integer(certificate.notAfter),
            certificate.revokedAt.map { .integer($0) } ?? .null)
    }

    func named(serial: String) async throws -> CertificateRecord? {
        try await session.query("SELECT \(Self.columns) FROM satellite_certificates WHERE serial = ?", .text(serial))
            .first.map { row in
                CertificateRecord(
                    serial: try row.text("serial"), satellite: try row.text("satellite"),
                    issuedAt: try row.integer("issued_at"), notAfter: try row.integer("not_after"),
                    revokedAt: try row.optionalInteger("revoked_at"))
            }
    }

    func revokeAll(of satellite: String, issuedBefore: Int64?, at: Int64) async throws -> Int {
        try await session.query(
            """
            UPDATE satellite_certificates SET revoked_at = ? WHERE satellite = ? AND revoked_at IS NULL
            AND issued_at < ? RETURNING serial
            """,
            .integer(at), .text(satellite), .integer(issuedBefore ?? Int64.max)
        ).count
    }

    func unrevokedCount(of satellite: String, issuedBefore: Int64) async throws -> Int {
        let row = try await session.query(
            """
            SELECT COUNT(*) AS count FROM satellite_certificates WHERE satellite = ? AND revoked_at IS NULL
            AND issued_at < ?
            """,
            .text(satellite), .integer(issuedBefore)
        ).first
        return Int(try row?.integer("count") ?? 0)
    }

    func prune(endedBefore before: Int64) async throws {
        try await session.query("DELETE FROM satellite_certificates WHERE not_after < ?", .integer(before))
    }
}
