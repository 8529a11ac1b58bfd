import FleetDomain
import Foundation

/// Logging in to the dashboard through an OpenID Connect provider (authorization code with PKCE).
/// A person's role comes from one claim of their ID token, mapped by `roles`; someone whose claim
/// maps to no role is refused.
public struct OIDCConfiguration: Sendable, Equatable {
    /// The provider's issuer URL; its discovery document is read from
    /// `<issuer>/.well-known/openid-configuration`.
    public var issuer: String
    public var clientID: String
    public var clientSecret: String
    /// Where the provider sends the browser back: `https://<ground-control>/login/oidc/callback`.
    public var redirectURL: String
    /// The claim holding the person's groups or roles (a string or an array of strings).
    public var roleClaim: String
    /// Claim value → role; a person with several gets the highest.
    public var roles: [String: Role]
    /// The claim that names the person's account (falling back to `sub`).
    public var usernameClaim: String
    /// Shown on the login button.
    public var displayName: String

    public init(
        issuer: String, clientID: String, clientSecret: String, redirectURL: String, roleClaim: String = "groups",
        roles: [String: Role], usernameClaim: String = "preferred_username", displayName: String = "single sign-on"
    ) {
        self.issuer = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.redirectURL = redirectURL
        self.roleClaim = roleClaim
        self.roles = roles
        self.usernameClaim = usernameClaim
        self.displayName = displayName
    }

    /// `VALUE=ROLE` pairs, as the command line and the settings file give them.
    public static func roles(_ pairs: [String]) throws -> [String: Role] {
        var roles: [String: Role] = [:]
        for pair in pairs {
            guard let equals = pair.lastIndex(of: "="),
                let role = Role(rawValue: String(pair[pair.index(after: equals)...])),
                equals != pair.startIndex
            else {
                throw GroundControlError(
                    .invalidField, "oidc-role: '\(pair)' is not VALUE=ROLE with ROLE admin, operator or viewer")
            }
            roles[String(pair[..<equals])] = role
        }
        return roles
    }

    /// The role a person's claim values give: the highest mapped, or nil.
    func role(for values: [String]) -> Role? {
        values.compactMap { roles[$0] }.max()
    }
}
