import Foundation
import SwiftASN1
import X509

extension CertificateAuthority {
    /// Signs a certificate for serving `names` over TLS with `publicKey`, valid `lifetime` from
    /// `now` (never past the authority's own end): what a satellite's HTTPS proxy presents for a
    /// registry host it answers for. No SPIFFE ID: it names a host, not a workload.
    public func issueServing(
        names: [ServingName], publicKey: Certificate.PublicKey, lifetime: TimeInterval, now: Date
    ) throws(IdentityError) -> Certificate {
        guard let first = names.first else { throw IdentityError(.malformed, "a serving certificate names a host") }
        let issuerKeyID = (try? certificate.extensions.subjectKeyIdentifier)?.keyIdentifier
        do {
            return try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-Self.backdating),
                notValidAfter: min(now.addingTimeInterval(lifetime), certificate.notValidAfter),
                issuer: certificate.subject,
                subject: try DistinguishedName { CommonName(String(first.description.prefix(64))) },
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                    try ExtendedKeyUsage([.serverAuth])
                    SubjectAlternativeNames(names.map(\.generalName))
                    SubjectKeyIdentifier(hash: publicKey)
                    AuthorityKeyIdentifier(keyIdentifier: issuerKeyID)
                },
                issuerPrivateKey: privateKey)
        } catch {
            throw IdentityError(.malformed, "cannot issue a serving certificate for \(first): \(error)")
        }
    }
}
