import Crypto
import DurableFiles
import Foundation
import SwiftASN1
import X509

/// A satellite's own key (P-256), made on its first start in its data directory, owner-only.
/// It never leaves the machine: what goes out is a certificate signing request it signs.
public struct DeviceKey: Sendable {
    let key: Certificate.PrivateKey

    /// A new key.
    public init() {
        key = Certificate.PrivateKey(P256.Signing.PrivateKey())
    }

    init(_ key: Certificate.PrivateKey) {
        self.key = key
    }

    /// The key in `path` (PEM), made there first when there is none.
    public static func loadOrCreate(_ path: String) throws(IdentityError) -> DeviceKey {
        if let key = try load(path) { return key }
        let made = DeviceKey()
        do {
            let pem = try made.key.serializeAsPEM().pemString + "\n"
            if try PrivateFile.create(Data(pem.utf8), at: path) { return made }
        } catch {
            throw IdentityError(.malformed, "cannot write the device key \(path): \(error)")
        }
        // Another process made it first.
        guard let key = try load(path) else { throw IdentityError(.malformed, "cannot read the device key \(path)") }
        return key
    }

    /// A P-256 key in a PEM document (PKCS #8 or SEC 1).
    init(pemDocument document: PEMDocument) throws(IdentityError) {
        guard let key = try? Certificate.PrivateKey(pemDocument: document),
            P256.Signing.PublicKey(key.publicKey) != nil
        else {
            throw IdentityError(.malformed, "holds a key that is not a P-256 private key")
        }
        self.key = key
    }

    /// The key in PEM (PKCS #8), for the owner-only file it lives in.
    public var pem: String {
        get throws(IdentityError) {
            do {
                return try key.serializeAsPEM().pemString + "\n"
            } catch {
                throw IdentityError(.malformed, "cannot encode the key: \(error)")
            }
        }
    }

    /// The key in `path`, nil when there is no file; refused when others may read it.
    public static func load(_ path: String) throws(IdentityError) -> DeviceKey? {
        let data: Data?
        do {
            data = try PrivateFile.read(path)
        } catch {
            throw IdentityError(.malformed, "the device key \(path) \(error)")
        }
        guard let data else { return nil }
        guard let key = try? Certificate.PrivateKey(pemEncoded: String(decoding: data, as: UTF8.self)),
            P256.Signing.PublicKey(key.publicKey) != nil
        else {
            throw IdentityError(.malformed, "the device key \(path) is not a P-256 private key in PEM")
        }
        return DeviceKey(key)
    }

    public var publicKey: Certificate.PublicKey { key.publicKey }

    /// A certificate signing request for this key, naming `id` when it is known (the authority
    /// decides the names it signs; the request proves the sender holds the key).
    public func request(for id: SPIFFEID?) throws(IdentityError) -> String {
        do {
            var attributes = CertificateSigningRequest.Attributes()
            if let id {
                attributes = try CertificateSigningRequest.Attributes([
                    .init(
                        ExtensionRequest(
                            extensions: try Certificate.Extensions {
                                SubjectAlternativeNames([.uniformResourceIdentifier(id.description)])
                            }))
                ])
            }
            let request = try CertificateSigningRequest(
                version: .v1, subject: DistinguishedName(), privateKey: key, attributes: attributes,
                signatureAlgorithm: .ecdsaWithSHA256)
            return try request.serializeAsPEM().pemString
        } catch {
            throw IdentityError(.malformed, "cannot make a certificate signing request: \(error)")
        }
    }
}
