import FleetDomain
import Foundation
import HTTPTypes
import Hummingbird
import SatelliteProtocol

/// Logging in and out of the dashboard with a name and password. Wrong passwords count toward
/// the same lock-out as `POST /api/v1/tokens`.
extension GroundControlAPI {
    struct LoginForm: Decodable {
        var name: String?
        var password: String?
        var csrf: String?
        var next: String?
    }

    struct LogoutForm: Decodable {
        var csrf: String?
    }

    func addLoginRoutes(to router: Router<GroundControlContext>) {
        addOIDCRoutes(to: router)
        router.get("login") { request, _ in
            loginPage(next: Self.localPath(request.uri.queryParameters.get("next")), error: nil, status: .ok)
        }
        router.post("login") { request, _ in
            let form = try await Self.form(LoginForm.self, from: request, limit: 16 * 1024)
            let next = Self.localPath(form.next)
            // The form must repeat the random value its page set in a cookie: another site's form
            // cannot know it, so it cannot log this browser in as someone else.
            guard let expected = request.cookies[BrowserSession.loginCookie]?.value, !expected.isEmpty,
                BrowserSession.constantTimeEqual(form.csrf ?? "", expected)
            else {
                return loginPage(next: next, error: "The login form had expired; please try again.", status: .forbidden)
            }
            guard let name = try? ResourceName(form.name ?? "", kind: "user name") else {
                return loginPage(
                    next: next, error: "A user name is lower-case letters, digits, '-', '_' or '.'.",
                    status: .badRequest)
            }
            if let until = try await fleet.people.loginLockedUntil(name.value) {
                let wait = Int(until.timeIntervalSinceNow.rounded(.up))
                return loginPage(
                    next: next, error: "Too many wrong passwords: try again in \(wait) s.", status: .tooManyRequests)
            }
            guard let principal = try await fleet.people.principal(user: name, password: form.password ?? ""),
                let user = principal.user
            else {
                try await fleet.people.recordLoginFailure(name.value)
                return loginPage(next: next, error: "Wrong name or password.", status: .unauthorized)
            }
            try await fleet.people.clearLoginFailures(name.value)
            let session = try await fleet.people.openSession(for: user, method: "password")
            var response = Response(status: .seeOther, headers: [.location: next])
            response.setCookie(BrowserSession.expired(BrowserSession.loginCookie))
            response.setCookie(BrowserSession.sessionCookie(session))
            return response
        }
        router.post("logout") { request, _ in
            let form = try await Self.form(LogoutForm.self, from: request, limit: 16 * 1024)
            if let session = request.cookies[BrowserSession.cookie]?.value {
                guard BrowserSession.csrfMatches(form.csrf, session: session) else {
                    throw GroundControlError(.csrfRejected, "logging out needs the page's CSRF token")
                }
                try await fleet.people.closeSession(session)
            }
            var response = Response(status: .seeOther, headers: [.location: "/login"])
            response.setCookie(BrowserSession.expired(BrowserSession.cookie))
            return response
        }
    }

    /// The login form, with a fresh value for the login cookie.
    func loginPage(next: String, error: String?, status: HTTPResponse.Status) -> Response {
        let token = Secret.make(prefix: "")
        let page = LoginPage(
            next: next, csrf: token, error: error, oidcName: oidc?.configuration.displayName,
            oidcURL: "/login/oidc?" + OIDCProvider.form([("next", next)]))
        var response = Self.html(templates.render(page, "login"), status: status)
        response.setCookie(BrowserSession.loginCookie(token))
        return response
    }

    /// Where to go after logging in: a path on this server, never another site (`//host`, `/\host`).
    static func localPath(_ value: String?) -> String {
        guard let value, value.hasPrefix("/"), !value.hasPrefix("//"), !value.hasPrefix("/\\"), value.count <= 2000,
            !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\\" })
        else { return "/" }
        return value
    }

    /// A form body (`application/x-www-form-urlencoded`), refused with 400 when malformed.
    static func form<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        let body = try await APIBody.collect(request, limit: limit)
        do {
            return try URLEncodedFormDecoder().decode(type, from: String(buffer: body))
        } catch {
            throw GroundControlError(.invalidBody, "the form is malformed")
        }
    }
}
