import Crypto
import FleetDomain
import Foundation
import GroundControl
import Testing

/// An ID token is believed only when signed by a key the provider lists, for this issuer, this
/// client and this login's nonce, and not expired. (RS256 is exercised against the real provider
/// in DashboardBrowserTests; here ES256 tokens are made with keys the test holds.)
@Suite struct IDTokenTests {
    let key = P256.Signing.PrivateKey()
    let issuer = "https://idp.example.com"

    var keys: IDToken.KeySet {
        let raw = key.publicKey.rawRepresentation
        return IDToken.KeySet(keys: [
            IDToken.Key(
                kty: "EC", kid: "k1", alg: "ES256", crv: "P-256", x: raw.prefix(32).base64URL,
                y: raw.suffix(32).base64URL)
        ])
    }

    func token(
        header: [String: Any] = ["alg": "ES256", "kid": "k1"], claims changes: [String: Any] = [:],
        signer: P256.Signing.PrivateKey? = nil
    ) throws -> String {
        var claims: [String: Any] = [
            "iss": issuer, "aud": "ground-control", "sub": "amy", "nonce": "n-1", "groups": ["gc-admins", "staff"],
            "exp": Date().timeIntervalSince1970 + 300,
        ]
        claims.merge(changes) { $1 }
        let input =
            try JSONSerialization.data(withJSONObject: header).base64URL + "."
            + JSONSerialization.data(withJSONObject: claims).base64URL
        let signature = try (signer ?? key).signature(for: Data(input.utf8)).rawRepresentation
        return input + "." + signature.base64URL
    }

    func verify(_ token: String) throws -> IDToken {
        try IDToken.verify(token, keys: keys, issuer: issuer, audience: "ground-control", nonce: "n-1")
    }

    @Test func aTokenSignedByTheProviderForThisLoginIsBelieved() throws {
        let verified = try verify(try token())
        #expect(verified.strings("groups") == ["gc-admins", "staff"] && verified.strings("sub") == ["amy"])
        #expect(try verify(try token(claims: ["aud": ["other", "ground-control"]])).strings("sub") == ["amy"])
    }

    @Test func anythingElseIsRefused() throws {
        let cases: [(String, String)] = [
            (try token(signer: P256.Signing.PrivateKey()), "signature"),
            (try token(header: ["alg": "none", "kid": "k1"]), "signature"),
            (try token(header: ["alg": "ES256", "kid": "k2"]), "kid k2"),
            (try token(claims: ["nonce": "n-2"]), "nonce"),
            (try token(claims: ["aud": "someone-else"]), "audience"),
            (try token(claims: ["iss": "https://evil.example.com"]), "issuer"),
            (try token(claims: ["exp": Date().timeIntervalSince1970 - 3600]), "expired"),
            ("not.a.token!", "malformed"),
            ("only-one-part", "malformed"),
        ]
        for (token, says) in cases {
            #expect(throws: IDToken.Failure.self, "\(says)") { try verify(token) }
            do {
                _ = try verify(token)
            } catch {
                #expect("\(error)".contains(says), "\(error)")
            }
        }
    }
}
