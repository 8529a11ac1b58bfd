import FleetAPI
import FleetDomain
import Foundation
import Hummingbird
import SatelliteProtocol

extension GroundControlAPI {
    /// Event subscriptions: admins set where events go (a URL and the secret signing them);
    /// viewers read them and their delivery log.
    func addSubscriptionRoutes(to router: Router<GroundControlContext>) {
        let viewers = people(router, .viewer)
        let admins = people(router, .admin)
        viewers.get("subscriptions") { request, _ in
            return try APIBody.json(try await fleet.events.subscriptions())
        }
        admins.put("subscriptions/:name") { request, context in
            let principal = context.principal
            let name = try Self.name(context, kind: "subscription name")
            let definition = try await APIBody.decode(SubscriptionDefinition.self, from: request, limit: bodyLimit)
            let (view, created) = try await fleet.events.putSubscription(name, definition, by: principal.actor)
            return try APIBody.json(view, status: created ? .created : .ok)
        }
        viewers.get("subscriptions/:name") { request, context in
            return try APIBody.json(
                try await fleet.events.subscription(try Self.name(context, kind: "subscription name")))
        }
        admins.delete("subscriptions/:name") { request, context in
            let principal = context.principal
            try await fleet.events.deleteSubscription(
                try Self.name(context, kind: "subscription name"), by: principal.actor)
            return APIBody.noContent()
        }
        viewers.get("subscriptions/:name/deliveries") { request, context in
            let limit =
                try Self.integer(request.uri.queryParameters.get("limit"), field: "limit", range: 1...1000) ?? 100
            return try APIBody.json(
                try await fleet.events.deliveries(of: try Self.name(context, kind: "subscription name"), limit: limit))
        }
    }
}
