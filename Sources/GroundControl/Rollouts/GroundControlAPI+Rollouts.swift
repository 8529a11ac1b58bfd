import FleetAPI
import FleetDomain
import Hummingbird

extension GroundControlAPI {
    /// Rollouts: any role reads them; an operator pauses, resumes, aborts and promotes. A
    /// rollout is named by its id, or by its group for the group's latest.
    func addRolloutRoutes(to router: Router<GroundControlContext>) {
        let viewers = people(router, .viewer)
        let operators = people(router, .operator)

        viewers.get("rollouts") { request, _ in
            let query = request.uri.queryParameters
            let limit = try Self.integer(query.get("limit"), field: "limit", range: 1...1000) ?? 100
            let group = try query.get("group").map { try ResourceName($0, kind: "group").value }
            return try APIBody.json(try await fleet.rollouts.list(group: group, limit: limit))
        }
        viewers.get("rollouts/:rollout") { _, context in
            return try APIBody.json(try await fleet.rollouts.named(try Self.rollout(context)))
        }
        let actions: [(String, @Sendable (RolloutService, String, Fleet.Actor) async throws -> RolloutView)] = [
            ("pause", { try await $0.pause($1, by: $2) }), ("resume", { try await $0.resume($1, by: $2) }),
            ("abort", { try await $0.abort($1, by: $2) }), ("promote", { try await $0.promote($1, by: $2) }),
        ]
        for (verb, action) in actions {
            operators.post("rollouts/:rollout/\(verb)") { _, context in
                let principal = context.principal
                return try APIBody.json(try await action(fleet.rollouts, try Self.rollout(context), principal.actor))
            }
        }
    }

    /// A rollout's id, or a group's name.
    static func rollout(_ context: some RequestContext) throws -> String {
        let raw = context.parameters.get("rollout") ?? ""
        if let id = Int64(raw), id > 0 { return "\(id)" }
        return try ResourceName(raw, kind: "rollout (an id or a group name)").value
    }
}
