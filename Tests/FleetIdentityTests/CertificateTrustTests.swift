import FleetIdentity
import Foundation
import TestSupport
import Testing
import X509

/// Paths from a presented chain to a trusted authority, and the identity read per request;
/// the pair of key and certificate a satellite keeps.
@Suite struct CertificateTrustTests {
    static let id = CertificateAuthorityTests.id
    static let now = Date()

    static func issue(
        by authority: CertificateAuthority, to id: SPIFFEID = id, key: DeviceKey = DeviceKey(),
        lifetime: TimeInterval = 3600, now: Date = now
    ) throws -> IssuedCertificate {
        try authority.issue(try CertificateRequest(pem: try key.request(for: id)), to: id, lifetime: lifetime, now: now)
    }

    @Test func aLeafOfTheAuthorityLeadsToItAndNamesItsHolder() throws {
        let authority = try CertificateAuthority.make(trustDomain: "harbor-satellite.local", now: Self.now)
        let issued = try Self.issue(by: authority)
        let path = try authority.trust.path([issued.certificate])
        #expect(path == [issued.certificate, authority.certificate])
        // The authority presented after its leaf is not repeated.
        #expect(try authority.trust.path([issued.certificate, authority.certificate]).count == 2)
        let presented = try authority.trust.identity(of: path, now: Self.now)
        #expect(presented.id == Self.id && presented.serial == issued.serial)
    }

    /// An operator's intermediate between the leaf and the root in the bundle (SPIRE with an
    /// upstream authority): the intermediate comes from the chain the client presents.
    @Test func anIntermediatePresentedByTheClientIsFollowedToTheRoot() async throws {
        try await CertificateAuthorityTests.withOpenSSL { openssl in
            try await openssl(
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                "root.key", "-out", "root.pem", "-days", "2", "-subj", "/CN=Root", "-addext",
                "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
            try await openssl(
                "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                "intermediate.key", "-out", "intermediate.csr", "-subj", "/CN=Intermediate")
            try openssl.write("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n", to: "ca.ext")
            try await openssl(
                "x509", "-req", "-in", "intermediate.csr", "-CA", "root.pem", "-CAkey", "root.key",
                "-CAcreateserial", "-days", "1", "-extfile", "ca.ext", "-out", "intermediate.pem")
            let intermediate = try CertificateAuthority(
                certificatePEM: try openssl.read("intermediate.pem") + openssl.read("root.pem"),
                privateKeyPEM: try openssl.read("intermediate.key"), now: Date())
            let issued = try Self.issue(by: intermediate, now: Date())
            let root = try CertificateTrust(bundlePEM: try openssl.read("root.pem"))
            let chain = try Certificate.all(inPEM: issued.chainPEM, what: "chain")
            #expect(try root.path(chain).count == 3)
            #expect(try root.identity(of: try root.path(chain), now: Date()).id == Self.id)
            // Without the intermediate there is no way to the root.
            #expect(throws: IdentityError.self) { try root.path([issued.certificate]) }
        }
    }

    @Test func whatDoesNotLeadToTheAuthorityOrIsOutOfTimeIsRefused() throws {
        let authority = try CertificateAuthority.make(trustDomain: "harbor-satellite.local", now: Self.now)
        let other = try CertificateAuthority.make(trustDomain: "harbor-satellite.local", now: Self.now)
        let stranger = try Self.issue(by: other)
        let untrusted = #expect(throws: IdentityError.self) { try authority.trust.path([stranger.certificate]) }
        #expect(untrusted?.code == .untrusted)
        // A leaf presented with another authority's certificate after it is still not trusted.
        #expect(throws: IdentityError.self) {
            try authority.trust.path([stranger.certificate, other.certificate])
        }

        let issued = try Self.issue(by: authority, lifetime: 3600)
        let path = try authority.trust.path([issued.certificate])
        let ended = Self.now.addingTimeInterval(7200)
        let expired = #expect(throws: IdentityError.self) { try authority.trust.identity(of: path, now: ended) }
        #expect(expired?.code == .outsideValidity && expired?.message.contains("expired") == true)
        // Within the grace given (renewal after a long time offline) it still names its holder.
        #expect(try authority.trust.identity(of: path, now: ended, grace: 86400).id == Self.id)
        let early = #expect(throws: IdentityError.self) {
            try authority.trust.identity(of: path, now: Self.now.addingTimeInterval(-3600))
        }
        #expect(early?.message.contains("not valid before") == true)
        // An authority's own certificate is no satellite.
        let itself = #expect(throws: IdentityError.self) {
            try authority.trust.identity(of: [authority.certificate], now: Self.now)
        }
        #expect(itself?.code == .wrongIdentity)
        #expect(throws: IdentityError.self) { try authority.trust.path(der: [[0x30, 0x03, 0x02, 0x01, 0x01]]) }
        #expect(throws: IdentityError.self) { try CertificateTrust(bundlePEM: "not pem") }
    }

    @Test func aKeyAndItsCertificateAreKeptAsOneAndRenewedTwoThirdsIn() throws {
        let authority = try CertificateAuthority.make(trustDomain: "harbor-satellite.local", now: Self.now)
        let key = DeviceKey()
        let issued = try Self.issue(by: authority, key: key, lifetime: 3000)
        let identity = try ClientIdentity(key: key, chain: try Certificate.all(inPEM: issued.chainPEM, what: "chain"))
        let read = try ClientIdentity(pem: try identity.pem)
        #expect(read.chain == identity.chain && read.key.publicKey == key.publicKey)
        #expect(try read.chainDER.count == 2)
        // Issued 300 s back for clocks behind: two thirds of 3300 s from then.
        let renewal = try #require(read.renewalDate)
        #expect(abs(renewal.timeIntervalSince(Self.now.addingTimeInterval(-300 + 2200))) < 1)

        // A key with another key's certificate is refused, and so is a file with no key.
        #expect(throws: IdentityError.self) { try ClientIdentity(key: DeviceKey(), chain: identity.chain) }
        #expect(throws: IdentityError.self) { try ClientIdentity(pem: try issued.certificate.pem) }
        let unenrolled = try ClientIdentity(pem: try ClientIdentity(key: key).pem)
        #expect(unenrolled.certificate == nil && unenrolled.renewalDate == nil)
    }
}
