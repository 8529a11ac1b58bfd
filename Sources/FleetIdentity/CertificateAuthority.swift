import Crypto
import Foundation
import SwiftASN1
import X509

/// Ground Control's certificate authority: it signs satellites' certificates, each naming one
/// SPIFFE ID, and tells whether a certificate presented to it is one it issued. Made at first
/// start (P-256, ten years) or given by an operator as an intermediate of their own PKI.
public struct CertificateAuthority: Sendable {
    public let certificate: Certificate
    /// This authority's certificate and, for an operator's intermediate, those above it.
    public let chain: [Certificate]
    let privateKey: Certificate.PrivateKey

    static let lifetime: TimeInterval = 10 * 365 * 86400
    /// Issued certificates start this much before now, for clocks a little behind.
    static let backdating: TimeInterval = 300

    /// A new authority with a P-256 key, valid ten years from `now`.
    public static func make(trustDomain: String, now: Date) throws(IdentityError) -> CertificateAuthority {
        try SPIFFEID.checkTrustDomain(trustDomain)
        return try make(commonName: "Ground Control CA \(trustDomain)", now: now)
    }

    /// A new authority named `commonName` (cut to 64 characters) with a P-256 key, valid ten
    /// years from `now`.
    public static func make(commonName: String, now: Date) throws(IdentityError) -> CertificateAuthority {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        do {
            let name = try DistinguishedName {
                OrganizationName("Harbor Satellite")
                CommonName(String(commonName.prefix(64)))
            }
            let certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
                notValidBefore: now.addingTimeInterval(-backdating), notValidAfter: now.addingTimeInterval(lifetime),
                issuer: name, subject: name,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: key.publicKey)
                },
                issuerPrivateKey: key)
            return CertificateAuthority(certificate: certificate, chain: [certificate], privateKey: key)
        } catch {
            throw IdentityError(.malformed, "cannot make a certificate authority: \(error)")
        }
    }

    /// The authority in `certificatePEM` (its certificate first, then any above it) with its
    /// key: an operator's intermediate (`--ca-cert`, `--ca-key-file`), or the one kept in the
    /// database. Refused unless the certificate is a CA's for signing certificates, the key is
    /// its key, and it is valid at `now`.
    public init(certificatePEM: String, privateKeyPEM: String, now: Date) throws(IdentityError) {
        let chain: [Certificate]
        let key: Certificate.PrivateKey
        chain = try Certificate.all(inPEM: certificatePEM, what: "ca-cert")
        do {
            key = try Certificate.PrivateKey(pemEncoded: privateKeyPEM)
        } catch {
            throw IdentityError(.malformed, "ca-key: not a PEM private key")
        }
        guard let certificate = chain.first else { throw IdentityError(.malformed, "ca-cert: holds no certificate") }
        guard key.publicKey == certificate.publicKey else {
            throw IdentityError(.malformed, "ca-key: is not the key of the ca-cert's first certificate")
        }
        guard case .isCertificateAuthority = (try? certificate.extensions.basicConstraints) ?? .notCertificateAuthority
        else {
            throw IdentityError(.untrusted, "ca-cert: is not a certificate authority's (basic constraints)")
        }
        if let usage = try? certificate.extensions.keyUsage, !usage.keyCertSign {
            throw IdentityError(.untrusted, "ca-cert: its key usage does not allow signing certificates")
        }
        try KeyStrength.check(certificate.publicKey)
        try Self.checkValidity(certificate, at: now, what: "ca-cert")
        self.init(certificate: certificate, chain: chain, privateKey: key)
    }

    init(certificate: Certificate, chain: [Certificate], privateKey: Certificate.PrivateKey) {
        self.certificate = certificate
        self.chain = chain
        self.privateKey = privateKey
    }

    /// The chain in PEM: what clients trust (`ground-control ca export`).
    public var bundlePEM: String {
        get throws(IdentityError) {
            var text = ""
            for certificate in chain { text += try certificate.pem + "\n" }
            return text
        }
    }

    /// The key in PEM (PKCS #8), to be kept sealed.
    public var privateKeyPEM: String {
        get throws(IdentityError) {
            do {
                return try privateKey.serializeAsPEM().pemString
            } catch {
                throw IdentityError(.malformed, "cannot encode the authority's key: \(error)")
            }
        }
    }

    /// What an issued certificate is for.
    public enum Usage: Sendable {
        /// A satellite presenting itself to Ground Control and its site's peers.
        case client
        /// A satellite serving devices and peers under `names`, and presenting itself too.
        case server(names: [ServingName])
    }

    /// Signs a certificate for the key in `request` naming `id`, valid `lifetime` from `now`
    /// (never past the authority's own end).
    public func issue(
        _ request: CertificateRequest, to id: SPIFFEID, usage: Usage = .client, lifetime: TimeInterval, now: Date
    ) throws(IdentityError) -> IssuedCertificate {
        var names: [GeneralName] = [.uniformResourceIdentifier(id.description)]
        var purposes: [ExtendedKeyUsage.Usage] = [.clientAuth]
        if case .server(let served) = usage {
            names += served.map(\.generalName)
            purposes.insert(.serverAuth, at: 0)
        }
        let issuerKeyID = (try? certificate.extensions.subjectKeyIdentifier)?.keyIdentifier
        do {
            let leaf = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: request.publicKey,
                notValidBefore: now.addingTimeInterval(-Self.backdating),
                notValidAfter: min(now.addingTimeInterval(lifetime), certificate.notValidAfter),
                issuer: certificate.subject,
                // SPIFFE IDs live in the alternative name, which is critical under an empty subject.
                subject: DistinguishedName(),
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                    try ExtendedKeyUsage(purposes)
                    Critical(SubjectAlternativeNames(names))
                    SubjectKeyIdentifier(hash: request.publicKey)
                    AuthorityKeyIdentifier(keyIdentifier: issuerKeyID)
                },
                issuerPrivateKey: privateKey)
            var pem = try leaf.pem + "\n"
            pem += try bundlePEM
            return IssuedCertificate(certificate: leaf, chainPEM: pem)
        } catch let error as IdentityError {
            throw error
        } catch {
            throw IdentityError(.malformed, "cannot issue a certificate for \(id): \(error)")
        }
    }

    /// What satellites' certificates are checked against: this authority.
    public var trust: CertificateTrust { CertificateTrust(anchors: [certificate]) }

    /// The identity `leaf` names, when this authority issued it and it is valid at `now`.
    public func verify(_ leaf: Certificate, now: Date) throws(IdentityError) -> PresentedIdentity {
        try trust.identity(of: try trust.path([leaf]), now: now)
    }

    /// Refuses `certificate` outside its validity; `grace` past its end is still inside.
    static func checkValidity(
        _ certificate: Certificate, at now: Date, what: String, grace: TimeInterval = 0
    ) throws(IdentityError) {
        if now < certificate.notValidBefore {
            throw IdentityError(.outsideValidity, "\(what) is not valid before \(certificate.notValidBefore)")
        }
        if now > certificate.notValidAfter.addingTimeInterval(grace) {
            throw IdentityError(.outsideValidity, "\(what) expired at \(certificate.notValidAfter)")
        }
    }
}
