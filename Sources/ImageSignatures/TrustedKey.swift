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
        /// Modulus and public exponent, big-endian.
        case rsa(n: [UInt8], e: [UInt8])
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
        // _CryptoExtras' RSA DER parser aborts the process when it fails (it frees its key twice),
        // so RSA keys are read here and handed over as modulus and exponent, whose path is sound.
        if let key = Self.ed25519(der) {
            material = .ed25519(key.rawRepresentation)
        } else if Self.names(der, Self.ecPublicKey), (try? P256.Signing.PublicKey(derRepresentation: der)) != nil {
            material = .p256(der)
        } else if let (n, e) = Self.rsaComponents(der), (try? _RSA.Signing.PublicKey(n: n, e: e)) != nil {
            material = .rsa(n: n, e: e)
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
            if let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature),
                key.isValidSignature(parsed, for: message)
            {
                return true
            }
            guard let raw = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(raw, for: message)
        case .ed25519(let raw):
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
            return key.isValidSignature(signature, for: message)
        case .rsa(let n, let e):
            guard let key = try? _RSA.Signing.PublicKey(n: n, e: e) else { return false }
            let parsed = _RSA.Signing.RSASignature(rawRepresentation: signature)
            return key.isValidSignature(parsed, for: message, padding: .insecurePKCS1v1_5)
                || key.isValidSignature(parsed, for: message, padding: .PSS)
        }
    }

    /// The DER inside one PEM block labelled `PUBLIC KEY`.
    static func der(fromPEM pem: String) throws(SignatureError) -> Data {
        let lines = pem.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
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

    /// The algorithm identifiers of SubjectPublicKeyInfo, DER-encoded (OID tag, length, value):
    /// id-ecPublicKey (1.2.840.10045.2.1) and rsaEncryption (1.2.840.113549.1.1.1).
    private static let ecPublicKey: [UInt8] = [0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]
    private static let rsaEncryption: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]

    /// The modulus and exponent of an RSA SubjectPublicKeyInfo:
    /// SEQUENCE { SEQUENCE { OID rsaEncryption, … }, BIT STRING { SEQUENCE { INTEGER n, INTEGER e } } }.
    static func rsaComponents(_ der: Data) -> (n: [UInt8], e: [UInt8])? {
        var outer = DERReader([UInt8](der))
        guard let info = outer.read(0x30), outer.atEnd else { return nil }
        var parts = DERReader(info)
        guard let algorithm = parts.read(0x30), let bits = parts.read(0x03), parts.atEnd, bits.first == 0 else {
            return nil
        }
        var identifier = DERReader(algorithm)
        guard identifier.read(0x06) == rsaEncryption else { return nil }
        var key = DERReader(Array(bits.dropFirst()))
        guard let sequence = key.read(0x30), key.atEnd else { return nil }
        var numbers = DERReader(sequence)
        guard let n = numbers.read(0x02), let e = numbers.read(0x02), numbers.atEnd, !n.isEmpty, !e.isEmpty else {
            return nil
        }
        return (n, e)
    }

    /// Whether the key's algorithm identifier (near the start of the DER) is `oid`.
    private static func names(_ der: Data, _ oid: [UInt8]) -> Bool {
        let head = [UInt8](der.prefix(32))
        guard head.count >= oid.count else { return false }
        return (0...(head.count - oid.count)).contains { head[$0..<($0 + oid.count)].elementsEqual(oid) }
    }

    /// SubjectPublicKeyInfo of Ed25519 (RFC 8410) is one fixed 12-byte header, then the key.
    private static let ed25519Header: [UInt8] = [
        0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00,
    ]

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

/// Reads DER one element at a time; nil for anything malformed.
struct DERReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var atEnd: Bool { position == bytes.count }

    /// The value of the next element, when its tag is `tag`.
    mutating func read(_ tag: UInt8) -> [UInt8]? {
        guard position + 2 <= bytes.count, bytes[position] == tag else { return nil }
        var index = position + 1
        var length = Int(bytes[index])
        index += 1
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard (1...4).contains(count), index + count <= bytes.count else { return nil }
            length = bytes[index..<(index + count)].reduce(0) { $0 << 8 | Int($1) }
            index += count
        }
        guard length <= bytes.count - index else { return nil }
        defer { position = index + length }
        return Array(bytes[index..<(index + length)])
    }
}
