import Crypto
import FleetIdentity
import Foundation
import NIOSSL
import SwiftASN1
import Synchronization
import X509

/// The TLS the HTTPS proxy answers a registry host with: a certificate for that host signed by
/// the site CA, made when a device first asks for the host and kept while it is fresh. One key
/// for every host, made at start and never written down.
package final class ProxyCertificates: Sendable {
    private let authority: CertificateAuthority
    private let publicKey: Certificate.PublicKey
    private let keyPEM: [UInt8]
    private let issued = Mutex<[String: (context: NIOSSLContext, renewAfter: Date)]>([:])

    /// How long an issued certificate is valid; it is replaced halfway.
    static let lifetime: TimeInterval = 7 * 86400

    package init(authority: CertificateAuthority) {
        self.authority = authority
        let key = P256.Signing.PrivateKey()
        publicKey = Certificate.PublicKey(key.publicKey)
        keyPEM = Array(key.pemRepresentation.utf8)
    }

    /// TLS for serving `host` (a DNS name or an IP address), issued now if need be.
    package func context(for host: String, now: Date = Date()) throws -> NIOSSLContext {
        if let kept = issued.withLock({ $0[host] }), kept.renewAfter > now { return kept.context }
        let leaf = try authority.issueServing(
            names: [try ServingName(host)], publicKey: publicKey, lifetime: Self.lifetime,
            now: now)
        let chain = try ([leaf] + authority.chain).map { certificate in
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            return NIOSSLCertificateSource.certificate(
                try NIOSSLCertificate(bytes: serializer.serializedBytes, format: .der))
        }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain,
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: keyPEM, format: .pem)))
        tls.minimumTLSVersion = .tlsv12
        let context = try NIOSSLContext(configuration: tls)
        let renewAfter = min(now.addingTimeInterval(Self.lifetime / 2), leaf.notValidAfter)
        issued.withLock { $0[host] = (context, renewAfter) }
        return context
    }
}
