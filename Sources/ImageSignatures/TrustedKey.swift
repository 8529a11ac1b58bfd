import Crypto
import Foundation
import _CryptoExtras

/// A public key a signature policy trusts, from PEM (`-----BEGIN PUBLIC KEY-----`, SubjectPublicKeyInfo):
/// ECDSA P-256, Ed25519 or RSA (2048 bits or more), the three kinds cosign makes.
public struct TrustedKey: Sendable {
    /// The key's DER (raw for Ed25519), checked on creation: swift-crypto's key types are not
    /// `Sendable`, so each check makes its own from these bytes.
    enum Material: Sendable {
        case p256(Data)
        case ed25519(Data)
        case rsa(Data)
    }

    let material: Material
    /// The PEM as given, for messages and for handing on.
    public let pem: String

    public var kind: String {
        switch material {
        case .p256: "ecdsa-p256"
        case .ed25519: "ed25519"
        case .rsa: "rsa"
        }
    }

    public init(pem: String) throws(SignatureError) {
        self.pem = pem
        let der = try Self.der(fromPEM: pem)
        if let key = Self.ed25519(der) {
            material = .ed25519(key.rawRepresentation)
        } else if (try? P256.Signing.PublicKey(derRepresentation: der)) != nil {
            material = .p256(der)
        } else if (try? _RSA.Signing.PublicKey(derRepresentation: der)) != nil {
            material = .rsa(der)
        } else {
            throw SignatureError("the key is not an ECDSA P-256, Ed25519 or RSA (2048 bits or more) public key")
        }
    }

    /// Whether `signature` is this key's over `message`, as cosign signs: ECDSA with SHA-256 (DER
    /// or raw r‖s), Ed25519 over the message itself, RSA with SHA-256 in PKCS #1 v1.5 or PSS.
    public func verifies(_ signature: Data, over message: Data) -> Bool {
        switch material {
        case .p256(let der):
            guard let key = try? P256.Signing.PublicKey(derRepresentation: der) else { return false }
            if let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature), key.isValidSignature(parsed, for: message) {
                return true
            }
            guard let raw = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(raw, for: message)
        case .ed25519(let raw):
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
            return key.isValidSignature(signature, for: message)
        case .rsa(let der):
            guard let key = try? _RSA.Signing.PublicKey(derRepresentation: der) else { return false }
            let parsed = _RSA.Signing.RSASignature(rawRepresentation: signature)
            return key.isValidSignature(parsed, for: message, padding: .insecurePKCS1v1_5)
                || key.isValidSignature(parsed, for: message, padding: .PSS)
        }
    }

    /// The DER inside one PEM block labelled `PUBLIC KEY`.
    static func der(fromPEM pem: String) throws(SignatureError) -> Data {
        let lines = pem.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let begin = lines.firstIndex(of: "-----BEGIN PUBLIC KEY-----"),
              let end = lines.firstIndex(of: "-----END PUBLIC KEY-----"), begin < end
        else {
            throw SignatureError("a key must be PEM: -----BEGIN PUBLIC KEY----- … -----END PUBLIC KEY-----")
        }
        guard let der = Data(base64Encoded: lines[(begin + 1)..<end].joined()), !der.isEmpty else {
            throw SignatureError("the PEM key's body is not base64")
        }
        return der
    }

    /// SubjectPublicKeyInfo of Ed25519 (RFC 8410) is one fixed 12-byte header, then the key.
    private static let ed25519Header: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    private static func ed25519(_ der: Data) -> Curve25519.Signing.PublicKey? {
        guard der.count == 44, der.prefix(12).elementsEqual(ed25519Header) else { return nil }
        return try? Curve25519.Signing.PublicKey(rawRepresentation: der.suffix(32))
    }
}

/// Why a key, payload or signature cannot be used.
public struct SignatureError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
