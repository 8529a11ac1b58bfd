import FleetAPI
import FleetDomain
import Foundation
import HTTPTypes
import Hummingbird
import SatelliteProtocol

extension GroundControlAPI {
    /// People (admin), personal tokens (each person for themselves) and `whoami`.
    func addPeopleRoutes(to router: Router<GroundControlContext>) {
        let viewers = people(router, .viewer)
        let admins = people(router, .admin)

        admins.get("users") { _, _ in
            try APIBody.json(try await fleet.people.all())
        }
        admins.get("users/:name") { _, context in
            try APIBody.json(try await fleet.people.named(try Self.name(context, kind: "user name")))
        }
        admins.put("users/:name") { request, context in
            let principal = context.principal
            let name = try Self.name(context, kind: "user name")
            let definition = try await APIBody.decode(UserDefinition.self, from: request, limit: bodyLimit)
            guard let role = Role(rawValue: definition.role) else {
                throw GroundControlError(
                    .invalidField, "role: must be admin, operator or viewer, not '\(definition.role.prefix(40))'")
            }
            let (view, created) = try await fleet.people.put(
                name, role: role, password: definition.password, by: principal.actor)
            return try APIBody.json(view, status: created ? .created : .ok)
        }
        admins.delete("users/:name") { request, context in
            let principal = context.principal
            try await fleet.people.delete(try Self.name(context, kind: "user name"), by: principal.actor)
            return APIBody.noContent()
        }

        viewers.get("whoami") { _, context in
            let principal = context.principal
            return try APIBody.json(Identity(user: principal.user, role: principal.role.rawValue))
        }
        // A person's own token: with their name and password (Basic), or with a token of theirs.
        router.group("api/v1").add(middleware: TokenOwnerAuthentication(fleet: fleet)).group(
            context: TokenOwnerContext.self
        )
        .post("tokens") { request, context in
            let body = try await APIBody.collect(request, limit: bodyLimit)
            let wanted = body.readableBytes == 0 ? TokenRequest() : try APIBody.decode(TokenRequest.self, from: body)
            let token = try await fleet.people.issueToken(
                for: context.user, description: wanted.description, days: wanted.expiresInDays,
                notAfter: context.notAfter)
            return try APIBody.json(token, status: .created)
        }
    }
}
