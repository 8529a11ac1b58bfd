import Foundation
import SwiftASN1
import X509

extension CertificateAuthority {
    /// The authority kept as one owner-only file: its key, then its chain.
    public var combinedPEM: String {
        get throws(IdentityError) { try privateKeyPEM + "\n" + bundlePEM }
    }

    /// The authority from a file `combinedPEM` wrote, checked as an operator's authority is.
    public init(combinedPEM: String, now: Date) throws(IdentityError) {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: combinedPEM)
        } catch {
            throw IdentityError(.malformed, "not PEM")
        }
        let certificates = documents.filter { $0.discriminator == "CERTIFICATE" }.map(\.pemString)
        guard let key = documents.first(where: { $0.discriminator != "CERTIFICATE" }) else {
            throw IdentityError(.malformed, "holds no private key")
        }
        try self.init(
            certificatePEM: certificates.joined(separator: "\n"), privateKeyPEM: key.pemString, now: now)
    }
}
