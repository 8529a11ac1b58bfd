import Foundation
import HTTPTypes
import Hummingbird
import SatelliteProtocol

extension GroundControlAPI {
    /// People (admin), personal tokens (each person for themselves) and `whoami`.
    func addPeopleRoutes(to router: Router<BasicRequestContext>) {
        let api = router.group("api/v1")

        api.get("users") { request, _ in
            _ = try await authorize(request, .admin)
            return try APIBody.json(try await fleet.users())
        }
        api.get("users/:name") { request, context in
            _ = try await authorize(request, .admin)
            return try APIBody.json(try await fleet.user(try Self.name(context, kind: "user name")))
        }
        api.put("users/:name") { request, context in
            let principal = try await authorize(request, .admin)
            let name = try Self.name(context, kind: "user name")
            let definition = try await APIBody.decode(UserDefinition.self, from: request, limit: bodyLimit)
            guard let role = Role(rawValue: definition.role) else {
                throw GroundControlError(.invalidField, "role: must be admin, operator or viewer, not '\(definition.role.prefix(40))'")
            }
            let (view, created) = try await fleet.putUser(name, role: role, password: definition.password, by: principal.actor)
            return try APIBody.json(view, status: created ? .created : .ok)
        }
        api.delete("users/:name") { request, context in
            let principal = try await authorize(request, .admin)
            try await fleet.deleteUser(try Self.name(context, kind: "user name"), by: principal.actor)
            return APIBody.noContent()
        }

        api.get("whoami") { request, _ in
            let principal = try await authorize(request, .viewer)
            return try APIBody.json(Identity(user: principal.user, role: principal.role.rawValue))
        }
        // A person's own token: with their name and password (Basic), or with a token of theirs.
        api.post("tokens") { request, _ in
            let (user, notAfter) = try await tokenOwner(request)
            let body = try await APIBody.collect(request, limit: bodyLimit)
            let wanted = body.readableBytes == 0 ? TokenRequest() : try APIBody.decode(TokenRequest.self, from: body)
            let token = try await fleet.issueUserToken(for: user, description: wanted.description, days: wanted.expiresInDays, notAfter: notAfter)
            return try APIBody.json(token, status: .created)
        }
    }

    /// The person a token request is for: their password checked (and throttled), or their
    /// token, which the new one may not outlive (a leaked token must not be made to last).
    private func tokenOwner(_ request: Request) async throws -> (user: String, notAfter: Date?) {
        guard let header = request.headers[.authorization], let space = header.firstIndex(of: " ") else {
            throw GroundControlError(.unauthorized, "log in with Authorization: Basic (name and password) or a personal token")
        }
        let scheme = header[..<space].lowercased()
        let value = header[header.index(after: space)...].trimmingCharacters(in: .whitespaces)
        if scheme == "bearer" {
            let principal = try await authorize(request, .viewer)
            guard let user = principal.user else {
                throw GroundControlError(.invalidField, "the admin token is not a person: create a user (satctl users put) and log in as them")
            }
            return (user, try await fleet.userTokenExpiry(value))
        }
        guard scheme == "basic", let decoded = Data(base64Encoded: value).map({ String(decoding: $0, as: UTF8.self) }),
              let colon = decoded.firstIndex(of: ":")
        else {
            throw GroundControlError(.unauthorized, "log in with Authorization: Basic (name and password) or a personal token")
        }
        let name = try ResourceName(String(decoded[..<colon]), kind: "user name")
        if let until = try await fleet.loginLockedUntil(name.value) {
            throw GroundControlError(
                .tooManyAttempts, "too many wrong passwords for '\(name)': try again in \(Int(until.timeIntervalSinceNow.rounded(.up))) s")
        }
        guard let principal = try await fleet.principal(user: name, password: String(decoded[decoded.index(after: colon)...])),
              let user = principal.user
        else {
            try await fleet.recordLoginFailure(name.value)
            throw GroundControlError(.unauthorized, "wrong name or password")
        }
        try await fleet.clearLoginFailures(name.value)
        return (user, nil)
    }
}
