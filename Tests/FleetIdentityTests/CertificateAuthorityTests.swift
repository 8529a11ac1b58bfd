import Crypto
import FleetIdentity
import Foundation
import TestSupport
import Testing
import X509

/// The authority's certificates, checked by openssl; what a stranger could send, refused.
@Suite struct CertificateAuthorityTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let id = try! SPIFFEID("spiffe://harbor-satellite.local/satellite/edge-01")

    static func withOpenSSL(_ body: (OpenSSL) async throws -> Void) async throws {
        let directory = try TemporaryDirectory("identity")
        defer { directory.remove() }
        try await body(try OpenSSL(directory))
    }

    @Test func aDeviceKeysRequestIsSignedIntoACertificateOpenSSLVerifies() async throws {
        try await Self.withOpenSSL { openssl in
            let authority = try CertificateAuthority.make(trustDomain: "harbor-satellite.local", now: Date())
            let csr = try DeviceKey().request(for: Self.id)
            try openssl.write(csr, to: "edge.csr")
            try await openssl("req", "-in", "edge.csr", "-noout", "-verify")

            let issued = try authority.issue(
                try CertificateRequest(pem: csr), to: Self.id, lifetime: 86400, now: Date())
            try openssl.write(try authority.bundlePEM, to: "ca.pem")
            try openssl.write(issued.chainPEM, to: "edge.pem")
            let verified = try await openssl("verify", "-CAfile", "ca.pem", "-purpose", "sslclient", "edge.pem")
            #expect(verified.contains("edge.pem: OK"))
            let text = try await openssl("x509", "-in", "edge.pem", "-noout", "-text")
            #expect(text.contains("URI:\(Self.id)"), "\(text)")
            #expect(text.contains("TLS Web Client Authentication"))
            #expect(text.contains("CA:FALSE"))
            #expect(
                issued.notValidAfter.timeIntervalSinceNow > 86000 && issued.notValidAfter.timeIntervalSinceNow < 86401)
            #expect(try authority.verify(issued.certificate, now: Date()).id == Self.id)
        }
    }

    @Test func aServerCertificateNamesItsHostsAndServesTLS() async throws {
        try await Self.withOpenSSL { openssl in
            let authority = try CertificateAuthority.make(trustDomain: "harbor-satellite.local", now: Date())
            let issued = try authority.issue(
                try CertificateRequest(pem: try DeviceKey().request(for: Self.id)), to: Self.id,
                usage: .server(names: [try ServingName("edge-01.site.example"), try ServingName("10.0.0.11")]),
                lifetime: 3600, now: Date())
            #expect(try ServingName("10.0.0.11").isNamed(by: issued.certificate))
            #expect(try ServingName("edge-01.site.example").isNamed(by: issued.certificate))
            #expect(try !ServingName("10.0.0.12").isNamed(by: issued.certificate))
            #expect(try !ServingName("edge-02.site.example").isNamed(by: issued.certificate))
            try openssl.write(try authority.bundlePEM, to: "ca.pem")
            try openssl.write(issued.chainPEM, to: "edge.pem")
            let verified = try await openssl(
                "verify", "-CAfile", "ca.pem", "-purpose", "sslserver", "-verify_hostname", "edge-01.site.example",
                "edge.pem")
            #expect(verified.contains("OK"))
        }
    }

    /// What is not a request from a holder of a strong key is refused before anything is signed.
    @Test func garbageForgedAndWeakRequestsAreRefused() async throws {
        try await Self.withOpenSSL { openssl in
            for garbage in [
                "", "not a csr", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----",
            ] {
                let error = #expect(throws: IdentityError.self) { try CertificateRequest(pem: garbage) }
                #expect(error?.code == .malformed)
            }
            #expect(throws: IdentityError.self) { try CertificateRequest(pem: String(repeating: "A", count: 20000)) }

            try await openssl(
                "req", "-new", "-newkey", "rsa:1024", "-nodes", "-keyout", "weak.key", "-subj", "/CN=edge-01",
                "-out", "weak.csr")
            let weak = #expect(throws: IdentityError.self) { try CertificateRequest(pem: try openssl.read("weak.csr")) }
            #expect(weak?.code == .weakKey && weak?.message.contains("2048") == true, "\(String(describing: weak))")

            try await openssl(
                "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "rsa.key", "-subj", "/CN=edge-01",
                "-out", "rsa.csr")
            _ = try CertificateRequest(pem: try openssl.read("rsa.csr"))
            try await openssl(
                "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521", "-nodes", "-keyout", "p521.key",
                "-subj", "/CN=edge-01", "-out", "p521.csr")
            #expect(throws: IdentityError.self) { try CertificateRequest(pem: try openssl.read("p521.csr")) }

            // The same request with one byte of its signed part changed.
            try await openssl("req", "-in", "rsa.csr", "-outform", "DER", "-out", "rsa.der")
            var der = try Data(contentsOf: URL(fileURLWithPath: openssl.directory.appending("rsa.der")))
            der[der.count / 3] ^= 0x01
            let forged =
                "-----BEGIN CERTIFICATE REQUEST-----\n" + der.base64EncodedString(options: .lineLength64Characters)
                + "\n-----END CERTIFICATE REQUEST-----\n"
            #expect(throws: IdentityError.self) { try CertificateRequest(pem: forged) }
        }
    }

    @Test func aCertificateIsRefusedOutsideItsValidityAndFromAnotherAuthority() throws {
        let authority = try CertificateAuthority.make(trustDomain: "harbor-satellite.local", now: Self.now)
        let request = try CertificateRequest(pem: try DeviceKey().request(for: Self.id))
        let issued = try authority.issue(request, to: Self.id, lifetime: 86400, now: Self.now)

        let expired = #expect(throws: IdentityError.self) {
            try authority.verify(issued.certificate, now: Self.now.addingTimeInterval(2 * 86400))
        }
        #expect(expired?.code == .outsideValidity && expired?.message.contains("expired") == true)
        let early = #expect(throws: IdentityError.self) {
            try authority.verify(issued.certificate, now: Self.now.addingTimeInterval(-3600))
        }
        #expect(early?.code == .outsideValidity && early?.message.contains("not valid before") == true)

        // Another authority, even of the same trust domain and name, issued with the same ID.
        let other = try CertificateAuthority.make(trustDomain: "harbor-satellite.local", now: Self.now)
        let stranger = try other.issue(request, to: Self.id, lifetime: 86400, now: Self.now)
        let untrusted = #expect(throws: IdentityError.self) {
            try authority.verify(stranger.certificate, now: Self.now)
        }
        #expect(untrusted?.code == .untrusted)
    }

    @Test func issuedCertificatesNeverOutliveTheAuthorityAndHaveDistinctSerials() throws {
        let authority = try CertificateAuthority.make(trustDomain: "example.org", now: Self.now)
        let request = try CertificateRequest(pem: try DeviceKey().request(for: Self.id))
        let late = try authority.issue(request, to: Self.id, lifetime: 86400, now: authority.certificate.notValidAfter)
        #expect(late.notValidAfter == authority.certificate.notValidAfter)
        let serials = try (0..<20).map { _ in
            try authority.issue(request, to: Self.id, lifetime: 60, now: Self.now).serial
        }
        #expect(Set(serials).count == 20)
    }

    /// An operator's intermediate: loaded with its chain, issuing certificates that verify up to
    /// their root; what is not a usable CA is refused by name.
    @Test func anOperatorsIntermediateIssuesCertificatesThatChainToTheirRoot() async throws {
        try await Self.withOpenSSL { openssl in
            try openssl.write(
                """
                [ca]
                basicConstraints = critical, CA:TRUE
                keyUsage = critical, keyCertSign, cRLSign
                subjectKeyIdentifier = hash
                [leaf]
                basicConstraints = critical, CA:FALSE
                """, to: "ext.cnf")
            try await openssl(
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "root.key",
                "-out", "root.pem", "-days", "30", "-subj", "/CN=OperatorRoot", "-addext",
                "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
            try await openssl(
                "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "int.key",
                "-out", "int.csr", "-subj", "/CN=EdgeIntermediate")
            try await openssl(
                "x509", "-req", "-in", "int.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial",
                "-days", "20", "-extfile", "ext.cnf", "-extensions", "ca", "-out", "int.pem")
            let chain = try openssl.read("int.pem") + openssl.read("root.pem")
            let authority = try CertificateAuthority(
                certificatePEM: chain, privateKeyPEM: try openssl.read("int.key"), now: Date())
            #expect(authority.chain.count == 2)

            let issued = try authority.issue(
                try CertificateRequest(pem: try DeviceKey().request(for: Self.id)), to: Self.id, lifetime: 3600,
                now: Date())
            try openssl.write(issued.chainPEM, to: "edge.pem")
            let verified = try await openssl("verify", "-CAfile", "root.pem", "-untrusted", "int.pem", "edge.pem")
            #expect(verified.contains("edge.pem: OK"))

            // A leaf that openssl signed with the intermediate, naming no SPIFFE ID.
            try await openssl(
                "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "plain.key",
                "-out", "plain.csr", "-subj", "/CN=edge-01")
            try await openssl(
                "x509", "-req", "-in", "plain.csr", "-CA", "int.pem", "-CAkey", "int.key", "-CAcreateserial", "-days",
                "1", "-extfile", "ext.cnf", "-extensions", "leaf", "-out", "plain.pem")
            let plain = try Certificate(pemEncoded: try openssl.read("plain.pem"))
            let unnamed = #expect(throws: IdentityError.self) { try authority.verify(plain, now: Date()) }
            #expect(unnamed?.code == .wrongIdentity && unnamed?.message.contains("names no SPIFFE ID") == true)

            // Not a CA; a key that is not the certificate's.
            let notCA = #expect(throws: IdentityError.self) {
                try CertificateAuthority(
                    certificatePEM: try openssl.read("plain.pem"), privateKeyPEM: try openssl.read("plain.key"),
                    now: Date())
            }
            #expect(notCA?.message.contains("not a certificate authority") == true)
            let wrongKey = #expect(throws: IdentityError.self) {
                try CertificateAuthority(
                    certificatePEM: chain, privateKeyPEM: try openssl.read("root.key"), now: Date())
            }
            #expect(wrongKey?.message.contains("is not the key") == true)
            #expect(throws: IdentityError.self) {
                try CertificateAuthority(
                    certificatePEM: "garbage", privateKeyPEM: try openssl.read("int.key"), now: Date())
            }
        }
    }

    @Test func theAuthorityRoundTripsThroughItsPEMs() throws {
        let authority = try CertificateAuthority.make(trustDomain: "example.org", now: Self.now)
        let again = try CertificateAuthority(
            certificatePEM: try authority.bundlePEM, privateKeyPEM: try authority.privateKeyPEM, now: Self.now)
        #expect(again.certificate == authority.certificate)
        let issued = try again.issue(
            try CertificateRequest(pem: try DeviceKey().request(for: Self.id)), to: Self.id, lifetime: 60, now: Self.now
        )
        #expect(try authority.verify(issued.certificate, now: Self.now).id == Self.id)
    }
}
