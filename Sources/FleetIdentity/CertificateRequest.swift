import SwiftASN1
import X509

/// A certificate signing request as a satellite sends it (PEM), checked: it parses, its
/// signature is made by the key it carries (so the sender holds that key), and the key is
/// strong enough. The authority decides the names it signs; the SPIFFE IDs a request asks for
/// are read only so that one asking for another's can be refused.
public struct CertificateRequest: Sendable {
    /// Far more than any request of a P-256, P-384 or 4096-bit RSA key.
    static let maximumPEMLength = 16 * 1024

    public let publicKey: Certificate.PublicKey
    /// The SPIFFE IDs the request asks for among its alternative names, as written.
    public let requestedIDs: [String]

    public init(pem: String) throws(IdentityError) {
        guard pem.utf8.count <= Self.maximumPEMLength else {
            throw IdentityError(.malformed, "csr: longer than \(Self.maximumPEMLength) bytes")
        }
        let document: PEMDocument
        let request: CertificateSigningRequest
        do {
            document = try PEMDocument(pemString: pem)
        } catch {
            throw IdentityError(.malformed, "csr: not a PEM certificate signing request")
        }
        do {
            request = try CertificateSigningRequest(derEncoded: document.derBytes)
        } catch {
            // swift-crypto reads no RSA key under 2048 bits, so such a request does not parse.
            if Self.keyAlgorithm(of: document.derBytes) == .AlgorithmIdentifier.rsaEncryption {
                throw IdentityError(.weakKey, "csr: an RSA key under 2048 bits is too weak; use 2048 or more")
            }
            throw IdentityError(.malformed, "csr: not a PEM certificate signing request")
        }
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw IdentityError(.malformed, "csr: its signature is not made by the key it carries")
        }
        try KeyStrength.check(request.publicKey)
        publicKey = request.publicKey
        let names = (try? request.attributes.extensionRequest?.extensions.subjectAlternativeNames) ?? nil
        requestedIDs = (names ?? SubjectAlternativeNames()).compactMap { name in
            if case .uniformResourceIdentifier(let uri) = name, uri.hasPrefix("spiffe://") { return uri }
            return nil
        }
    }

    /// The algorithm of the key in a request that may not parse whole: the first element of the
    /// request information's third (PKCS #10: version, subject, subject public key info).
    static func keyAlgorithm(of der: [UInt8]) -> ASN1ObjectIdentifier? {
        guard let request = try? DER.parse(der), case .constructed(let parts) = request.content,
            let info = parts.first(where: { _ in true }), case .constructed(let fields) = info.content
        else { return nil }
        var iterator = fields.makeIterator()
        _ = iterator.next()
        _ = iterator.next()
        guard let keyInfo = iterator.next(), case .constructed(let keyFields) = keyInfo.content,
            let algorithm = keyFields.first(where: { _ in true }),
            case .constructed(let algorithmFields) = algorithm.content,
            let identifier = algorithmFields.first(where: { _ in true })
        else { return nil }
        return try? ASN1ObjectIdentifier(derEncoded: identifier)
    }
}
