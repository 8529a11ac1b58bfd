import FleetAPI
import FleetDomain
import FleetIdentity
import Foundation
import TestSupport
import Testing
import X509

/// Registration with a certificate signing request: a certificate naming the satellite, recorded
/// by serial, ended by revocation, deletion and re-registration; bad requests use no token.
@Suite struct EnrolmentTests {
    static let id = try! SPIFFEID("spiffe://harbor-satellite.local/satellite/edge-01")

    static func certificate(in response: String?) throws -> Certificate {
        let pem = try #require(response, "the reply carries a certificate")
        let first = try #require(pem.components(separatedBy: "-----END CERTIFICATE-----").first)
        return try Certificate(pemEncoded: first + "-----END CERTIFICATE-----")
    }

    static func record(_ serial: String, in fleet: Fleet) async throws -> CertificateRecord? {
        try await fleet.store.read { records in try await records.certificates.named(serial: serial) }
    }

    @Test(arguments: Backend.allCases)
    func aRegistrationWithARequestGetsACertificateNamingTheSatellite(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, clock in
            let token = try await fleet.satellites.create(SatelliteDefinition(name: "edge-01", groups: []))
            let key = DeviceKey()
            let response = try await fleet.register(
                token: token.token, publicKey: "k", csr: try key.request(for: Self.id))
            let certificate = try Self.certificate(in: response.certificate)
            #expect(certificate.publicKey == key.publicKey)
            let authority = try await fleet.certificateAuthority()
            let presented = try authority.verify(certificate, now: clock.now)
            #expect(presented.id == Self.id)
            #expect(response.trustBundle == (try authority.bundlePEM))
            #expect(abs(presented.notValidAfter.timeIntervalSince(clock.now) - 86400) < 1)
            let record = try await Self.record(presented.serial, in: fleet)
            #expect(record?.satellite == "edge-01" && record?.revokedAt == nil)
            #expect(try await fleet.auditLog().contains { $0.action == "satellite.certificate.issued" })
        }
    }

    /// Garbage, a request signed by another key than it carries, or one asking for another
    /// satellite's ID is refused with the field named, and the token stays usable.
    @Test(arguments: Backend.allCases)
    func aBadRequestIsRefusedAndUsesNoToken(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, _ in
            let token = try await fleet.satellites.create(SatelliteDefinition(name: "edge-01", groups: []))
            let other = try SPIFFEID("spiffe://harbor-satellite.local/satellite/edge-02")
            for csr in ["garbage", "", try DeviceKey().request(for: other)] {
                await expectFailure(.invalidField) {
                    _ = try await fleet.register(token: token.token, publicKey: "k", csr: csr)
                }
            }
            let refused = await #expect(throws: GroundControlError.self) {
                _ = try await fleet.register(
                    token: token.token, publicKey: "k", csr: try DeviceKey().request(for: other))
            }
            #expect(refused?.message.contains("edge-02") == true && refused?.message.contains("edge-01") == true)
            #expect(try await fleet.store.read { try await $0.certificates.named(serial: "00") } == nil)

            let response = try await fleet.register(
                token: token.token, publicKey: "k", csr: try DeviceKey().request(for: Self.id))
            #expect(response.certificate != nil)
            // The token is used: a second request with it gets nothing.
            await expectFailure(.tokenInvalid) {
                _ = try await fleet.register(
                    token: token.token, publicKey: "k", csr: try DeviceKey().request(for: Self.id))
            }
        }
    }

    /// Revoking, deleting or registering the satellite again ends its certificates at once.
    @Test(arguments: Backend.allCases)
    func revocationDeletionAndReRegistrationEndTheCertificates(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, clock in
            let name = try ResourceName("edge-01")
            func enrol(_ token: String) async throws -> String {
                let response = try await fleet.register(
                    token: token, publicKey: "k", csr: try DeviceKey().request(for: Self.id))
                return IssuedCertificate.serial(of: try Self.certificate(in: response.certificate))
            }
            let first = try await enrol(
                try await fleet.satellites.create(SatelliteDefinition(name: "edge-01", groups: [])).token)
            let second = try await enrol(try await fleet.satellites.issueToken(name).token)
            #expect(try await Self.record(first, in: fleet)?.revokedAt != nil, "re-registration ends the first")
            #expect(try await Self.record(second, in: fleet)?.revokedAt == nil)

            try await fleet.satellites.revoke(name)
            #expect(try await Self.record(second, in: fleet)?.revokedAt != nil)

            let third = try await enrol(try await fleet.satellites.issueToken(name).token)
            try await fleet.satellites.delete(name)
            #expect(try await Self.record(third, in: fleet)?.revokedAt != nil)

            // Their records stay while one could still renew with them (--reenrol-expired, 30 days
            // past their end by default) and a day more; then they go.
            clock.advance(86400 + 30 * 86400)
            try await fleet.satellites.forgetEndedCertificates()
            #expect(try await Self.record(first, in: fleet) != nil)
            clock.advance(86400 + 3600)
            try await fleet.satellites.forgetEndedCertificates()
            for serial in [first, second, third] { #expect(try await Self.record(serial, in: fleet) == nil) }
        }
    }
}
