import FleetAPI
import FleetDomain
import Hummingbird

extension GroundControlAPI {
    /// What devices asked for that their satellites did not hold: any role reads the fleet's
    /// list; an operator adds an entry to a group.
    func addDemandRoutes(to router: Router<GroundControlContext>) {
        let viewers = people(router, .viewer)
        let operators = people(router, .operator)

        viewers.get("demand") { request, _ in
            let query = request.uri.queryParameters
            let limit = try Self.integer(query.get("limit"), field: "limit", range: 1...5000) ?? 500
            let all = try Self.flag(query.get("all"), field: "all") ?? false
            return try APIBody.json(try await fleetDemand(includeGrouped: all, limit: limit))
        }
        operators.post("groups/:name/artifacts") { request, context in
            let principal = context.principal
            let name = try Self.name(context, kind: "group name")
            let addition = try await APIBody.decode(GroupArtifactAddition.self, from: request, limit: bodyLimit)
            let (view, added) = try await fleet.groups.addArtifact(addition, to: name, by: principal.actor)
            return try APIBody.json(view, status: added ? .created : .ok, headers: [.eTag: "\"\(view.revision)\""])
        }
    }

    /// The fleet's demand from the cached satellite views.
    func fleetDemand(includeGrouped: Bool, limit: Int = 500) async throws -> DemandList {
        FleetDemand.list(
            views: try await satelliteViews(), groups: try await fleet.groups.all(), includeGrouped: includeGrouped,
            limit: limit)
    }

    /// `true` or `false`; nil when absent.
    static func flag(_ raw: String?, field: String) throws -> Bool? {
        switch raw {
        case nil: return nil
        case "true": return true
        case "false": return false
        case let other?:
            throw GroundControlError(.invalidField, "\(field): must be true or false, not '\(other.prefix(40))'")
        }
    }
}
