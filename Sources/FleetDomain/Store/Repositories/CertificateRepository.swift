/// The certificates Ground Control's authority issued to satellites, by serial: who holds each,
/// until when, and whether it was revoked. Checked on every request a certificate authenticates,
/// so a revocation on one replica holds on all at once.
package protocol CertificateRepository: Sendable {
    func record(_ certificate: CertificateRecord) async throws

    /// The certificate of this serial, if this authority issued it.
    func named(serial: String) async throws -> CertificateRecord?

    /// Revokes the satellite's certificates not revoked yet (those issued before `issuedBefore`
    /// only, when it is given); returns how many.
    @discardableResult
    func revokeAll(of satellite: String, issuedBefore: Int64?, at: Int64) async throws -> Int

    /// How many of the satellite's certificates issued before `issuedBefore` are not revoked.
    func unrevokedCount(of satellite: String, issuedBefore: Int64) async throws -> Int

    /// Forgets certificates that ended before `before`: they authenticate nothing any more.
    func prune(endedBefore before: Int64) async throws
}

extension CertificateRepository {
    /// Revokes every certificate of the satellite not revoked yet; returns how many.
    @discardableResult
    func revokeAll(of satellite: String, at: Int64) async throws -> Int {
        try await revokeAll(of: satellite, issuedBefore: nil, at: at)
    }
}

package struct CertificateRecord: Sendable, Equatable {
    /// Lower-case hex.
    package let serial: String
    package let satellite: String
    /// Milliseconds since 1970.
    package let issuedAt: Int64
    package let notAfter: Int64
    package let revokedAt: Int64?

    package init(serial: String, satellite: String, issuedAt: Int64, notAfter: Int64, revokedAt: Int64? = nil) {
        self.serial = serial
        self.satellite = satellite
        self.issuedAt = issuedAt
        self.notAfter = notAfter
        self.revokedAt = revokedAt
    }
}
