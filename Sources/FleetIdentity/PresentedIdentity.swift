import Foundation
import X509

/// Who a certificate says its holder is: the one SPIFFE ID among its alternative names, its
/// serial and its end. Read from a certificate whose chain has been checked already (by TLS, or
/// `CertificateAuthority.verify`).
public struct PresentedIdentity: Sendable, Equatable {
    public let id: SPIFFEID
    public let serial: String
    public let notValidAfter: Date

    public init(_ certificate: Certificate) throws(IdentityError) {
        let names = (try? certificate.extensions.subjectAlternativeNames) ?? nil
        let uris = (names ?? SubjectAlternativeNames()).compactMap { name -> String? in
            if case .uniformResourceIdentifier(let uri) = name, uri.hasPrefix("spiffe://") { return uri }
            return nil
        }
        guard uris.count == 1, let uri = uris.first else {
            throw IdentityError(
                .wrongIdentity,
                uris.isEmpty
                    ? "the certificate names no SPIFFE ID (a spiffe:// URI among its alternative names)"
                    : "the certificate names \(uris.count) SPIFFE IDs; an identity has one")
        }
        id = try SPIFFEID(uri)
        serial = IssuedCertificate.serial(of: certificate)
        notValidAfter = certificate.notValidAfter
    }
}
