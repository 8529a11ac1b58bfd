import Foundation
import Hummingbird
import SatelliteProtocol

extension GroundControlAPI {
    /// Event subscriptions: admins set where events go (a URL and the secret signing them);
    /// viewers read them and their delivery log.
    func addSubscriptionRoutes(to router: Router<BasicRequestContext>) {
        let api = router.group("api/v1")
        api.get("subscriptions") { request, _ in
            _ = try await authorize(request, .viewer)
            return try APIBody.json(try await fleet.subscriptions())
        }
        api.put("subscriptions/:name") { request, context in
            let principal = try await authorize(request, .admin)
            let name = try Self.name(context, kind: "subscription name")
            let definition = try await APIBody.decode(SubscriptionDefinition.self, from: request, limit: bodyLimit)
            let (view, created) = try await fleet.putSubscription(name, definition, by: principal.actor)
            return try APIBody.json(view, status: created ? .created : .ok)
        }
        api.get("subscriptions/:name") { request, context in
            _ = try await authorize(request, .viewer)
            return try APIBody.json(try await fleet.subscription(try Self.name(context, kind: "subscription name")))
        }
        api.delete("subscriptions/:name") { request, context in
            let principal = try await authorize(request, .admin)
            try await fleet.deleteSubscription(try Self.name(context, kind: "subscription name"), by: principal.actor)
            return APIBody.noContent()
        }
        api.get("subscriptions/:name/deliveries") { request, context in
            _ = try await authorize(request, .viewer)
            let limit = try Self.integer(request.uri.queryParameters.get("limit"), field: "limit", range: 1...1000) ?? 100
            return try APIBody.json(try await fleet.deliveries(of: try Self.name(context, kind: "subscription name"), limit: limit))
        }
    }
}
