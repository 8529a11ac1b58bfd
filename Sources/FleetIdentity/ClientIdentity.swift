import Foundation
import SwiftASN1
import X509

/// A satellite's key with the certificate chain issued for it, kept together in one PEM file so
/// that they are replaced as one: a crash leaves the old pair or the new, never a key with
/// another key's certificate. Before enrolment the chain is empty.
public struct ClientIdentity: Sendable {
    public let key: DeviceKey
    /// The leaf first, then its issuers as the authority sent them.
    public let chain: [Certificate]

    public init(key: DeviceKey, chain: [Certificate] = []) throws(IdentityError) {
        if let leaf = chain.first, leaf.publicKey != key.publicKey {
            throw IdentityError(.wrongIdentity, "the certificate is not for this satellite's key")
        }
        self.key = key
        self.chain = chain
    }

    /// The key and chain from `pem`, as `pem` writes them.
    public init(pem: String) throws(IdentityError) {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: pem)
        } catch {
            throw IdentityError(.malformed, "not PEM")
        }
        var key: DeviceKey?
        var chain: [Certificate] = []
        for document in documents {
            if document.discriminator == "CERTIFICATE" {
                guard let certificate = try? Certificate(pemDocument: document) else {
                    throw IdentityError(.malformed, "holds a certificate that does not parse")
                }
                chain.append(certificate)
            } else if key == nil {
                key = try DeviceKey(pemDocument: document)
            } else {
                throw IdentityError(.malformed, "holds more than one key")
            }
        }
        guard let key else { throw IdentityError(.malformed, "holds no private key") }
        try self.init(key: key, chain: chain)
    }

    /// The key then the chain, in PEM.
    public var pem: String {
        get throws(IdentityError) {
            var text = try key.pem
            for certificate in chain { text += try certificate.pem + "\n" }
            return text
        }
    }

    public var certificate: Certificate? { chain.first }

    /// When to renew: two thirds into the certificate's life, as SPIRE agents do by default.
    public var renewalDate: Date? {
        guard let certificate else { return nil }
        let life = certificate.notValidAfter.timeIntervalSince(certificate.notValidBefore)
        return certificate.notValidBefore.addingTimeInterval(life * 2 / 3)
    }

    /// The chain in DER, for a TLS stack.
    public var chainDER: [[UInt8]] {
        get throws(IdentityError) {
            do {
                return try chain.map { certificate in
                    var serializer = DER.Serializer()
                    try serializer.serialize(certificate)
                    return serializer.serializedBytes
                }
            } catch {
                throw IdentityError(.malformed, "cannot encode a certificate: \(error)")
            }
        }
    }
}
