import FleetIdentity
import Foundation
import SatelliteProtocol

extension Fleet {
    /// Who presents `certificate`, once TLS found its chain trusted and its validity was checked:
    /// Ground Control recorded its serial for the satellite it names, it is not revoked, and the
    /// satellite is registered. Its first use ends the certificates issued to the satellite
    /// before it, so a renewed satellite leaves nothing older that works.
    public func authenticateSatellite(certificate: PresentedIdentity) async throws -> SatelliteIdentity {
        if let external = identity.externalPattern {
            return try await authenticateSatellite(svid: certificate, pattern: external)
        }
        let pattern: SPIFFEIDPattern
        do {
            pattern = try SPIFFEIDPattern.satellites(in: identity.trustDomain)
        } catch {
            throw GroundControlError(error, field: "trust domain")
        }
        let name = try Self.satellite(named: certificate, by: pattern)
        let serial = certificate.serial
        let (record, satellite, older) = try await store.read { records in
            let record = try await records.certificates.named(serial: serial)
            var older = 0
            if let record {
                older = try await records.certificates.unrevokedCount(of: name.value, issuedBefore: record.issuedAt)
            }
            return (record, try await records.satellites.named(name.value), older)
        }
        guard let record, record.satellite == name.value else {
            throw GroundControlError(.unauthorized, "the certificate (serial \(serial)) was not issued to \(name)")
        }
        guard record.revokedAt == nil else {
            throw GroundControlError(.unauthorized, "the certificate (serial \(serial)) of \(name) is revoked")
        }
        guard let satellite, satellite.status == "registered" else {
            throw GroundControlError(.unauthorized, "satellite '\(name)' is revoked or deleted")
        }
        guard older > 0 else { return SatelliteIdentity(name: name, revision: satellite.revision) }
        let revision = try await change(by: .satellite(name.value)) { changes in
            let ended = try await changes.records.certificates.revokeAll(
                of: name.value, issuedBefore: record.issuedAt, at: Self.milliseconds(now()))
            try await changes.touch(satellite: name.value)
            changes.audit("satellite.certificate.superseded", name.value, "\(ended) ended by serial \(serial)")
            return try await changes.revision()
        }
        return SatelliteIdentity(name: name, revision: revision, retiredPrevious: true)
    }

    /// A new certificate for the key in `csr` (the satellite's, or a new one), for a satellite
    /// that authenticated. The ones before it keep working until it is first used, so a reply
    /// lost on the way leaves the satellite with the certificate it had.
    public func renewCertificate(of name: ResourceName, csr: String) async throws -> CertificateRenewalResponse {
        if identity.externalPattern != nil {
            // Not found, as from a Ground Control without renewal: the satellite stops asking.
            throw GroundControlError(
                .notFound,
                "this Ground Control issues no certificates: satellites' come from the operator's SPIFFE authority")
        }
        let enrolment = try await Enrolment(csr: csr, fleet: self)
        return try await change(by: .satellite(name.value)) { changes in
            let chain = try await enrolment.issue(
                to: name.value, in: &changes, now: now(), action: "satellite.certificate.renewed")
            return CertificateRenewalResponse(certificate: chain, trustBundle: enrolment.trustBundle)
        }
    }

    /// A serving certificate for `name` under `names` (what it advertises to devices and peers),
    /// from Ground Control's authority whichever authority identifies satellites: devices trust
    /// it per registry host. Not recorded: it proves nothing to Ground Control, and ends with its
    /// short life.
    public func issueServingCertificate(
        to name: ResourceName, csr: String, names: [String]
    ) async throws -> CertificateRenewalResponse {
        guard (1...8).contains(names.count) else {
            throw GroundControlError(.invalidField, "names: give 1 to 8 names the satellite is reached at")
        }
        var served: [ServingName] = []
        for (index, text) in names.enumerated() {
            do {
                served.append(try ServingName(text))
            } catch {
                throw GroundControlError(.invalidField, "names[\(index)]: \(error.message)")
            }
        }
        let enrolment = try await Enrolment(csr: csr, fleet: self)
        let id = try SPIFFEIDPattern.satellites(in: identity.trustDomain).id(of: name.value)
        if let asked = enrolment.request.requestedIDs.first(where: { $0 != id.description }) {
            throw GroundControlError(
                .invalidField, "csr: asks for \(asked.prefix(200)), but this is \(name)'s certificate")
        }
        let issued: IssuedCertificate
        do {
            issued = try enrolment.authority.issue(
                enrolment.request, to: id, usage: .server(names: served), lifetime: identity.certificateLifetime,
                now: now())
        } catch {
            throw GroundControlError(error, field: "csr")
        }
        let detail = "serial \(issued.serial) for \(served.map(\.description).joined(separator: ", "))"
        try await change(by: .satellite(name.value)) { changes in
            changes.audit("satellite.certificate.serving", name.value, detail)
        }
        return CertificateRenewalResponse(certificate: issued.chainPEM, trustBundle: enrolment.trustBundle)
    }

    /// Who an SVID of the operator's SPIFFE authority names: a registered satellite. Its chain
    /// and validity were checked against the operator's bundle; SPIRE keeps no serials here, so
    /// revoking or deleting the satellite is what ends it.
    private func authenticateSatellite(
        svid: PresentedIdentity, pattern: SPIFFEIDPattern
    ) async throws -> SatelliteIdentity {
        let name = try Self.satellite(named: svid, by: pattern)
        let satellite = try await store.read { records in try await records.satellites.named(name.value) }
        guard let satellite, satellite.status == "registered" else {
            throw GroundControlError(.unauthorized, "satellite '\(name)' is not registered, or is revoked or deleted")
        }
        return SatelliteIdentity(name: name, revision: satellite.revision)
    }

    private static func satellite(
        named certificate: PresentedIdentity, by pattern: SPIFFEIDPattern
    ) throws -> ResourceName {
        guard let named = pattern.name(in: certificate.id), let name = try? ResourceName(named) else {
            throw GroundControlError(
                .unauthorized, "the certificate names \(certificate.id), which is not a satellite's (\(pattern))")
        }
        return name
    }
}
