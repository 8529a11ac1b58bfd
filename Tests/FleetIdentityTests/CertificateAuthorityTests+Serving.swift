import Crypto
import FleetIdentity
import Foundation
import TestSupport
import Testing
import X509

extension CertificateAuthorityTests {
    /// The HTTPS proxy's site CA: its own name, kept in one file, and host certificates openssl
    /// accepts for serving exactly the host they name.
    @Test func aSiteCAIssuesHostCertificatesAndRoundTripsThroughItsFile() async throws {
        try await Self.withOpenSSL { openssl in
            let authority = try CertificateAuthority.make(commonName: "Harbor Satellite proxy CA node-1", now: Date())
            let kept = try CertificateAuthority(combinedPEM: try authority.combinedPEM, now: Date())
            #expect(kept.certificate == authority.certificate)
            #expect(throws: IdentityError.self) {
                try CertificateAuthority(combinedPEM: try authority.bundlePEM, now: Date())
            }

            let key = P256.Signing.PrivateKey()
            for host in ["registry.example.com", "10.231.4.2"] {
                let leaf = try kept.issueServing(
                    names: [try ServingName(host)], publicKey: Certificate.PublicKey(key.publicKey), lifetime: 3600,
                    now: Date())
                try openssl.write(try kept.bundlePEM, to: "ca.pem")
                try openssl.write(try leaf.pem, to: "leaf.pem")
                let check = host.hasPrefix("10.") ? "-verify_ip" : "-verify_hostname"
                let verified = try await openssl(
                    "verify", "-CAfile", "ca.pem", "-purpose", "sslserver", check, host, "leaf.pem")
                #expect(verified.contains("OK"))
                let other = host.hasPrefix("10.") ? "10.231.4.3" : "other.example.com"
                let (accepted, output) = try await openssl.succeeds(
                    "verify", "-CAfile", "ca.pem", "-purpose", "sslserver", check, other, "leaf.pem")
                #expect(!accepted, "a certificate for \(host) must not serve \(other): \(output)")
                let text = try await openssl("x509", "-in", "leaf.pem", "-noout", "-text")
                #expect(text.contains("TLS Web Server Authentication") && !text.contains("URI:"))
            }
            #expect(throws: IdentityError.self) {
                try kept.issueServing(
                    names: [], publicKey: Certificate.PublicKey(key.publicKey), lifetime: 60, now: Date())
            }
        }
    }
}
