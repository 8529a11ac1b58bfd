import FleetAPI
import FleetDomain
import FleetIdentity
import Foundation
import SatelliteProtocol
import TestSupport
import Testing
import X509

extension EnrolmentTests {
    /// A renewal issues a new certificate while the old one keeps working; the first use of the
    /// new one ends the old, and from then on only the new one is the satellite.
    @Test(arguments: Backend.allCases)
    func aRenewedCertificateEndsTheOlderAtItsFirstUse(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, clock in
            let token = try await fleet.satellites.create(SatelliteDefinition(name: "edge-01", groups: []))
            let registered = try await fleet.register(
                token: token.token, publicKey: "k", csr: try DeviceKey().request(for: nil))
            let authority = try await fleet.certificateAuthority()
            let first = try authority.verify(try Self.certificate(in: registered.certificate), now: clock.now)
            #expect(try await fleet.authenticateSatellite(certificate: first).name.value == "edge-01")

            clock.advance(60)
            let renewed = try await fleet.renewCertificate(
                of: try ResourceName("edge-01"), csr: try DeviceKey().request(for: Self.id))
            let second = try authority.verify(try Self.certificate(in: renewed.certificate), now: clock.now)
            #expect(renewed.trustBundle == (try authority.bundlePEM))
            // Until the new one is used, the old one still works: a lost reply costs nothing.
            let again = try await fleet.authenticateSatellite(certificate: first)
            #expect(again.name.value == "edge-01" && !again.retiredPrevious)

            let used = try await fleet.authenticateSatellite(certificate: second)
            #expect(used.retiredPrevious, "the first use ends those before")
            await expectFailure(.unauthorized) { _ = try await fleet.authenticateSatellite(certificate: first) }
            #expect(try await Self.record(first.serial, in: fleet)?.revokedAt != nil)
            #expect(!(try await fleet.authenticateSatellite(certificate: second)).retiredPrevious)
            #expect(try await fleet.auditLog().contains { $0.action == "satellite.certificate.superseded" })
            #expect(try await fleet.auditLog().contains { $0.action == "satellite.certificate.renewed" })
        }
    }

    /// What a certificate cannot pass for: a serial never recorded, one recorded for another
    /// satellite, a name outside the trust domain's pattern, a revoked satellite.
    @Test(arguments: Backend.allCases)
    func aCertificateIsTheSatelliteItWasIssuedToAndNoOther(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, clock in
            let token = try await fleet.satellites.create(SatelliteDefinition(name: "edge-01", groups: []))
            _ = try await fleet.satellites.create(SatelliteDefinition(name: "edge-02", groups: []))
            let registered = try await fleet.register(
                token: token.token, publicKey: "k", csr: try DeviceKey().request(for: nil))
            let authority = try await fleet.certificateAuthority()
            let edge01 = try authority.verify(try Self.certificate(in: registered.certificate), now: clock.now)

            func minted(_ id: String) throws -> PresentedIdentity {
                let spiffe = try SPIFFEID(id)
                let issued = try authority.issue(
                    try CertificateRequest(pem: try DeviceKey().request(for: spiffe)), to: spiffe, lifetime: 3600,
                    now: clock.now)
                return try authority.verify(issued.certificate, now: clock.now)
            }
            for id in [
                "spiffe://harbor-satellite.local/satellite/edge-01",  // never recorded
                "spiffe://harbor-satellite.local/satellite/edge-02",
                "spiffe://harbor-satellite.local/satellite/edge-01/extra",
                "spiffe://harbor-satellite.local/people/edge-01",
                "spiffe://other.example/satellite/edge-01",
            ] {
                let refused = await #expect(throws: GroundControlError.self) {
                    _ = try await fleet.authenticateSatellite(certificate: try minted(id))
                }
                #expect(refused?.code == .unauthorized, "\(id)")
            }
            try await fleet.satellites.revoke(try ResourceName("edge-01"))
            let revoked = await #expect(throws: GroundControlError.self) {
                _ = try await fleet.authenticateSatellite(certificate: edge01)
            }
            #expect(revoked?.message.contains("revoked") == true)
            // A bad renewal request is a 400 naming csr, and records nothing.
            await expectFailure(.invalidField) {
                _ = try await fleet.renewCertificate(of: try ResourceName("edge-02"), csr: "garbage")
            }
        }
    }
}
