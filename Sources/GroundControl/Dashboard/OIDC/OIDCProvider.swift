import AsyncHTTPClient
import Crypto
import FleetDomain
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// The provider as Ground Control talks to it: its discovery document and key set (both kept,
/// the keys fetched again when a token names one not yet seen), the authorization request, and
/// the code exchanged for a verified ID token.
actor OIDCProvider {
    struct Discovery: Decodable {
        let issuer: String
        let authorization_endpoint: String
        let token_endpoint: String
        let jwks_uri: String
    }

    let configuration: OIDCConfiguration
    private var discovery: Discovery?
    private var keys: IDToken.KeySet?

    init(configuration: OIDCConfiguration) {
        self.configuration = configuration
    }

    /// Where to send the browser: the provider's authorization endpoint with this login's state,
    /// nonce and PKCE challenge (S256 of the verifier, which stays here).
    func authorizationURL(state: String, nonce: String, verifier: String) async throws -> String {
        let endpoint = try await discovered().authorization_endpoint
        let challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64URL
        let query = Self.form([
            ("response_type", "code"), ("client_id", configuration.clientID),
            ("redirect_uri", configuration.redirectURL),
            ("scope", "openid profile email"), ("state", state), ("nonce", nonce),
            ("code_challenge", challenge), ("code_challenge_method", "S256"),
        ])
        return endpoint + (endpoint.contains("?") ? "&" : "?") + query
    }

    /// Exchanges the code for tokens and returns the ID token, verified.
    func login(code: String, verifier: String, nonce: String) async throws -> IDToken {
        let discovery = try await discovered()
        var request = HTTPClientRequest(url: discovery.token_endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        let basic = Self.formEncode(configuration.clientID) + ":" + Self.formEncode(configuration.clientSecret)
        request.headers.add(name: "Authorization", value: "Basic " + Data(basic.utf8).base64EncodedString())
        request.body = .bytes(
            ByteBuffer(
                string: Self.form([
                    ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", configuration.redirectURL),
                    ("code_verifier", verifier),
                ])))
        struct Tokens: Decodable { let id_token: String? }
        let tokens = try await Self.json(Tokens.self, request, what: "the token endpoint")
        guard let idToken = tokens.id_token else {
            throw GroundControlError(.upstreamFailed, "the provider gave no ID token")
        }

        var keys = try await keySet(refresh: false)
        if let kid = try? IDToken.keyID(of: idToken), !keys.keys.contains(where: { $0.kid == kid }) {
            keys = try await keySet(refresh: true)  // the provider may have rotated its keys
        }
        do {
            return try IDToken.verify(
                idToken, keys: keys, issuer: configuration.issuer, audience: configuration.clientID, nonce: nonce)
        } catch let failure as IDToken.Failure {
            throw GroundControlError(.unauthorized, failure.description)
        }
    }

    private func discovered() async throws -> Discovery {
        if let discovery { return discovery }
        let found = try await Self.json(
            Discovery.self, HTTPClientRequest(url: configuration.issuer + "/.well-known/openid-configuration"),
            what: "the discovery document")
        guard found.issuer.trimmingCharacters(in: ["/"]) == configuration.issuer else {
            throw GroundControlError(
                .upstreamFailed, "the provider calls itself \(found.issuer), not \(configuration.issuer)")
        }
        discovery = found
        return found
    }

    private func keySet(refresh: Bool) async throws -> IDToken.KeySet {
        if let keys, !refresh { return keys }
        let fetched = try await Self.json(
            IDToken.KeySet.self, HTTPClientRequest(url: try await discovered().jwks_uri), what: "the key set")
        keys = fetched
        return fetched
    }

    private static func json<T: Decodable>(_ type: T.Type, _ request: HTTPClientRequest, what: String) async throws -> T
    {
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok else {
                throw GroundControlError(.upstreamFailed, "the provider's \(what) answered \(response.status.code)")
            }
            return try JSONDecoder().decode(T.self, from: body)
        } catch let error as GroundControlError {
            throw error
        } catch {
            throw GroundControlError(.upstreamFailed, "cannot read the provider's \(what): \(error)")
        }
    }

    static func form(_ fields: [(String, String)]) -> String {
        fields.map { formEncode($0.0) + "=" + formEncode($0.1) }.joined(separator: "&")
    }

    /// RFC 3986's unreserved characters, ASCII only (CharacterSet.alphanumerics would let other
    /// scripts' letters through unencoded).
    static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func formEncode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }
}
