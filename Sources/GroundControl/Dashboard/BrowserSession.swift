import Crypto
import FleetDomain
import Foundation
import HTTPTypes
import Hummingbird
import OCI

/// The cookies a browser holds and the CSRF token derived from its session.
///
/// All its cookies are `__Host-` (Secure, path `/`, no domain: no other host or subdomain can plant
/// one), HttpOnly and SameSite=Lax. The CSRF token is an HMAC of the session cookie, so nothing
/// more is stored and a page script can hold it while the cookie itself stays out of reach.
enum BrowserSession {
    static let cookie = "__Host-gc-session"
    /// A random value the login form repeats, so another site cannot log a browser in as someone else.
    static let loginCookie = "__Host-gc-login"
    /// The state, nonce and PKCE verifier of a sign-in at the OIDC provider, for its callback.
    static let oidcCookie = "__Host-gc-oidc"
    /// Unsafe requests made with a session cookie carry the token in this header (scripts) or
    /// in the form field `csrf` (plain forms).
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    static func csrfToken(for session: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(
            for: Data("ground-control csrf".utf8), using: SymmetricKey(data: Data(session.utf8)))
        return Data(code).lowercaseHex
    }

    /// Whether `presented` is the token of `session`, compared in constant time.
    static func csrfMatches(_ presented: String?, session: String) -> Bool {
        guard let presented else { return false }
        return constantTimeEqual(presented, csrfToken(for: session))
    }

    /// Compares two secrets in a time that does not tell how much of them matched.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8), right = Array(b.utf8)
        guard left.count == right.count else { return false }
        return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func hostCookie(_ name: String, value: String, maxAge: Int) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: true, httpOnly: true, sameSite: .lax)
    }

    static func sessionCookie(_ value: String) -> Cookie {
        hostCookie(cookie, value: value, maxAge: Int(PeopleService.sessionLifetime))
    }

    static func loginCookie(_ value: String) -> Cookie { hostCookie(loginCookie, value: value, maxAge: 3600) }

    /// A sign-in at the provider has ten minutes to come back.
    static func oidcCookie(_ value: String) -> Cookie { hostCookie(oidcCookie, value: value, maxAge: 600) }

    /// A cookie that tells the browser to forget `name`.
    static func expired(_ name: String) -> Cookie { hostCookie(name, value: "", maxAge: 0) }

    /// Methods that change nothing, so need no CSRF token.
    static func isSafe(_ method: HTTPRequest.Method) -> Bool {
        method == .get || method == .head || method == .options
    }
}
