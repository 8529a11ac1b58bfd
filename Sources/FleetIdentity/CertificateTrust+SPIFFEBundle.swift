import Foundation
import SwiftASN1
import X509

extension CertificateTrust {
    /// An operator's SPIFFE trust bundle as SPIRE hands it out: PEM certificates
    /// (`spire-server bundle show`, spiffe-helper's bundle file) or the SPIFFE bundle format, a
    /// JWK set whose `x509-svid` keys each carry one authority certificate in `x5c`.
    public init(spiffeBundle text: String) throws(IdentityError) {
        guard text.drop(while: \.isWhitespace).first == "{" else {
            try self.init(bundlePEM: text)
            return
        }
        let set: JWKSet
        do {
            set = try JSONDecoder().decode(JWKSet.self, from: Data(text.utf8))
        } catch {
            throw IdentityError(.malformed, "trust bundle: neither PEM nor a SPIFFE bundle (JWK set): \(error)")
        }
        var anchors: [Certificate] = []
        // Keys for JWT-SVIDs are another profile's: not authorities of certificates.
        for key in set.keys where key.use == "x509-svid" {
            guard let chain = key.x5c, chain.count == 1, let der = Data(base64Encoded: chain[0]),
                let certificate = try? Certificate(derEncoded: Array(der))
            else {
                throw IdentityError(
                    .malformed, "trust bundle: an x509-svid key must carry one certificate, base64 DER, in x5c")
            }
            anchors.append(certificate)
        }
        guard !anchors.isEmpty else {
            throw IdentityError(.malformed, "trust bundle: the SPIFFE bundle holds no x509-svid key")
        }
        self.init(anchors: anchors)
    }

    private struct JWKSet: Decodable {
        struct Key: Decodable {
            var use: String?
            var x5c: [String]?
        }
        var keys: [Key]
    }
}
