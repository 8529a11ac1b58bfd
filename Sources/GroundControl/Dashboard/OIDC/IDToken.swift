import Crypto
import FleetDomain
import Foundation
import _CryptoExtras

/// An OpenID Connect ID token (a JWS in compact form), checked before any claim is believed:
/// the signature by a key of the provider's key set (RS256 or ES256), the issuer, the audience,
/// the expiry and the nonce this login sent.
public struct IDToken: Sendable {
    public let claims: [String: any Sendable]

    /// One key of the provider's JWKS, as far as it is used here.
    public struct Key: Codable, Sendable {
        public let kty: String
        public let kid: String?
        public let alg: String?
        // RSA
        public let n: String?
        public let e: String?
        // EC
        public let crv: String?
        public let x: String?
        public let y: String?

        public init(
            kty: String, kid: String?, alg: String? = nil, n: String? = nil, e: String? = nil, crv: String? = nil,
            x: String? = nil, y: String? = nil
        ) {
            self.kty = kty
            self.kid = kid
            self.alg = alg
            self.n = n
            self.e = e
            self.crv = crv
            self.x = x
            self.y = y
        }
    }

    public struct KeySet: Codable, Sendable {
        public let keys: [Key]

        public init(keys: [Key]) {
            self.keys = keys
        }
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case malformed(String)
        case unknownKey(String?)
        case badSignature
        case claim(String)

        public var description: String {
            switch self {
            case .malformed(let what): "the ID token is malformed: \(what)"
            case .unknownKey(let kid):
                "the ID token is signed with a key the provider does not list (kid \(kid ?? "none"))"
            case .badSignature: "the ID token's signature does not verify"
            case .claim(let what): "the ID token is not for this login: \(what)"
            }
        }
    }

    /// The key id the token names, to know whether the key set must be fetched again.
    static func keyID(of token: String) throws -> String? {
        try header(of: token)["kid"] as? String
    }

    /// Verifies `token` and returns its claims.
    public static func verify(
        _ token: String, keys: KeySet, issuer: String, audience: String, nonce: String, now: Date = Date(),
        leeway: TimeInterval = 60
    ) throws -> IDToken {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let signature = Data(base64URL: String(parts[2])) else {
            throw Failure.malformed("not three base64url parts")
        }
        let header = try header(of: token)
        guard let algorithm = header["alg"] as? String else { throw Failure.malformed("no alg") }
        let kid = header["kid"] as? String
        let signed = Data((parts[0] + "." + parts[1]).utf8)
        let candidates = keys.keys.filter { kid == nil || $0.kid == kid }
        guard !candidates.isEmpty else { throw Failure.unknownKey(kid) }
        guard candidates.contains(where: { verifies(signature, of: signed, algorithm: algorithm, key: $0) }) else {
            throw Failure.badSignature
        }

        guard let payload = Data(base64URL: String(parts[1])),
            let claims = try? JSONSerialization.jsonObject(with: payload) as? [String: Any]
        else { throw Failure.malformed("the payload is not a JSON object") }
        guard claims["iss"] as? String == issuer else {
            throw Failure.claim("issuer \(claims["iss"] ?? "none"), not \(issuer)")
        }
        let audiences = (claims["aud"] as? [String]) ?? [(claims["aud"] as? String)].compactMap { $0 }
        guard audiences.contains(audience) else { throw Failure.claim("audience is not \(audience)") }
        guard let expiry = (claims["exp"] as? NSNumber)?.doubleValue, now.timeIntervalSince1970 < expiry + leeway else {
            throw Failure.claim("expired")
        }
        guard claims["nonce"] as? String == nonce else { throw Failure.claim("the nonce differs") }
        return IDToken(claims: claims.mapValues { Self.sendable($0) })
    }

    /// A claim as one string, or as the strings of an array.
    public func strings(_ name: String) -> [String] {
        switch claims[name] {
        case let value as String: [value]
        case let values as [String]: values
        default: []
        }
    }

    private static func header(of token: String) throws -> [String: Any] {
        guard let first = token.split(separator: ".").first, let data = Data(base64URL: String(first)),
            let header = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw Failure.malformed("the header is not a JSON object") }
        return header
    }

    private static func verifies(_ signature: Data, of signed: Data, algorithm: String, key: Key) -> Bool {
        switch (algorithm, key.kty) {
        case ("RS256", "RSA"):
            // The key is built from its modulus and exponent, never parsed from DER (see
            // ImageSignatures.TrustedKey for why).
            guard let n = key.n.flatMap(Data.init(base64URL:)), let e = key.e.flatMap(Data.init(base64URL:)),
                let publicKey = try? _RSA.Signing.PublicKey(n: n, e: e)
            else { return false }
            return publicKey.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: signed),
                padding: .insecurePKCS1v1_5)
        case ("ES256", "EC"):
            guard key.crv == "P-256", let x = key.x.flatMap(Data.init(base64URL:)),
                let y = key.y.flatMap(Data.init(base64URL:)),
                let publicKey = try? P256.Signing.PublicKey(rawRepresentation: x + y),
                let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature)
            else { return false }
            return publicKey.isValidSignature(ecdsa, for: SHA256.hash(data: signed))
        default:
            return false
        }
    }

    private static func sendable(_ value: Any) -> any Sendable {
        switch value {
        case let value as String: value
        case let values as [Any]: values.compactMap { $0 as? String }
        case let number as NSNumber: number.doubleValue
        default: String(describing: value)
        }
    }
}
