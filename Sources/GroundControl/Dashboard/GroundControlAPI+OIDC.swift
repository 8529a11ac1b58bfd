import FleetDomain
import Foundation
import HTTPTypes
import Hummingbird
import SatelliteProtocol

/// Logging in through the OIDC provider: `/login/oidc` sends the browser there with a state, a
/// nonce and a PKCE challenge kept in a short-lived cookie; `/login/oidc/callback` checks the
/// state, exchanges the code, verifies the ID token and maps its claim to a role.
extension GroundControlAPI {
    func addOIDCRoutes(to router: Router<GroundControlContext>) {
        router.get("login/oidc") { request, _ in
            guard let oidc else { throw GroundControlError(.notFound, "no OIDC provider is configured") }
            let next = Self.localPath(request.uri.queryParameters.get("next"))
            let state = Secret.make(prefix: ""), nonce = Secret.make(prefix: ""), verifier = Secret.make(prefix: "")
            let location: String
            do {
                location = try await oidc.authorizationURL(state: state, nonce: nonce, verifier: verifier)
            } catch let error as GroundControlError {
                return loginPage(
                    next: next, error: "The sign-on provider cannot be reached: \(error.message)", status: .badGateway)
            }
            var response = Response(status: .seeOther, headers: [.location: location])
            let value = [state, nonce, verifier, Data(next.utf8).base64URL].joined(separator: ".")
            response.setCookie(BrowserSession.oidcCookie(value))
            return response
        }
        router.get("login/oidc/callback") { request, _ in
            guard let oidc else { throw GroundControlError(.notFound, "no OIDC provider is configured") }
            let query = request.uri.queryParameters
            let parts = (request.cookies[BrowserSession.oidcCookie]?.value ?? "").split(separator: ".").map(String.init)
            guard parts.count == 4, let state = query.get("state"), BrowserSession.constantTimeEqual(state, parts[0])
            else {
                return loginPage(
                    next: "/", error: "The sign-on took too long or came from elsewhere; please try again.",
                    status: .forbidden)
            }
            let next = Self.localPath(Data(base64URL: parts[3]).map { String(decoding: $0, as: UTF8.self) })
            if let refusal = query.get("error") {
                return loginPage(
                    next: next, error: "The provider refused: \(refusal.prefix(100))", status: .unauthorized)
            }
            guard let code = query.get("code"), !code.isEmpty, code.count <= 2048 else {
                return loginPage(next: next, error: "The provider sent no code.", status: .badRequest)
            }
            let configuration = oidc.configuration
            let user: String
            do {
                let token = try await oidc.login(code: code, verifier: parts[2], nonce: parts[1])
                guard let role = configuration.role(for: token.strings(configuration.roleClaim)) else {
                    return loginPage(
                        next: next,
                        error: "Your account has no role here (claim \(configuration.roleClaim)); ask an admin.",
                        status: .forbidden)
                }
                let claimed = (token.strings(configuration.usernameClaim).first ?? token.strings("sub").first ?? "")
                    .lowercased()
                guard let name = try? ResourceName(claimed, kind: "user name") else {
                    return loginPage(
                        next: next,
                        error: "Your name at the provider ('\(claimed.prefix(63))') cannot be an account name here.",
                        status: .forbidden)
                }
                try await fleet.people.admitProviderUser(name, role: role)
                user = name.value
            } catch let error as GroundControlError {
                return loginPage(
                    next: next, error: "Signing on failed: \(error.message)", status: .init(code: error.code.status))
            }
            let session = try await fleet.people.openSession(for: user, method: "oidc")
            var response = Response(status: .seeOther, headers: [.location: next])
            response.setCookie(BrowserSession.expired(BrowserSession.oidcCookie))
            response.setCookie(BrowserSession.sessionCookie(session))
            return response
        }
    }
}
