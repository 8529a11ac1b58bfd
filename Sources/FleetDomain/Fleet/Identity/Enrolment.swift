import FleetIdentity
import Foundation

/// A satellite's request for a certificate at registration: checked before its token is used,
/// signed inside the registration's transaction, so that a failure leaves the token unused and
/// no certificate recorded.
struct Enrolment: Sendable {
    let request: CertificateRequest
    let authority: CertificateAuthority
    let identity: IdentitySettings
    let trustBundle: String

    init(csr: String, fleet: Fleet) async throws {
        do {
            request = try CertificateRequest(pem: csr)
        } catch {
            throw GroundControlError(error, field: "csr")
        }
        authority = try await fleet.certificateAuthority()
        identity = fleet.identity
        trustBundle = try authority.bundlePEM
    }

    /// Signs the certificate of `name`, records its serial and audits it as `action`; returns
    /// the chain (PEM).
    func issue(
        to name: String, in changes: inout FleetChangeSet, now: Date, action: String = "satellite.certificate.issued"
    ) async throws -> String {
        let id = try SPIFFEIDPattern.satellites(in: identity.trustDomain).id(of: name)
        // The authority decides the name; a request for someone else's is a mistake or worse.
        if let asked = request.requestedIDs.first(where: { $0 != id.description }) {
            throw GroundControlError(
                .invalidField, "csr: asks for \(asked.prefix(200)), but this is \(name)'s certificate (\(id))")
        }
        let issued = try authority.issue(request, to: id, lifetime: identity.certificateLifetime, now: now)
        try await changes.records.certificates.record(
            CertificateRecord(
                serial: issued.serial, satellite: name, issuedAt: Fleet.milliseconds(now),
                notAfter: Fleet.milliseconds(issued.notValidAfter)))
        changes.audit(action, name, "serial \(issued.serial)")
        return issued.chainPEM
    }
}
