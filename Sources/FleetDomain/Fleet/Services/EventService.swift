import FleetAPI
import Foundation
import SatelliteProtocol

/// Events for other systems. Each is written in the transaction of the change it tells of, so an
/// event exists exactly when its change does; subscriptions read them in id order from a cursor.
extension EventService {
    /// One stored event.
    public struct Event: Sendable, Equatable {
        public let id: Int64
        public let type: String
        public let subject: String
        public let at: Date
        /// A JSON object.
        public let data: String
    }

    // MARK: Subscriptions

    public func putSubscription(
        _ name: ResourceName, _ definition: SubscriptionDefinition, by actor: Fleet.Actor
    ) async throws -> (SubscriptionView, created: Bool) {
        try await eventTargets.check(try EventTargetPolicy.validatedURL(definition.url))
        let types = definition.types ?? []
        for type in types where FleetEventType(rawValue: type) == nil {
            throw GroundControlError(
                .invalidField,
                """
                types: '\(type.prefix(60))' is not an event type \
                (\(FleetEventType.allCases.map(\.rawValue).joined(separator: ", ")))
                """
            )
        }
        if let secret = definition.secret, !(16...512).contains(secret.unicodeScalars.count) {
            throw GroundControlError(.invalidField, "secret: must be 16 to 512 characters")
        }
        let at = Self.milliseconds(now())
        let created = try await change(by: actor) { changes in
            let records = changes.records
            let existed = try await records.subscriptions.exists(name.value)
            if existed {
                try await records.subscriptions.update(
                    name.value, url: definition.url, types: types, secret: definition.secret)
            } else {
                guard let secret = definition.secret else {
                    throw GroundControlError(
                        .invalidField, "secret: is required for a new subscription (it signs each delivery)")
                }
                // A new subscription hears what happens from now on.
                try await records.subscriptions.create(
                    SubscriptionRecord(
                        name: name.value, url: definition.url, secret: secret, types: types, createdAt: at))
            }
            changes.audit(existed ? "subscription.update" : "subscription.create", name.value, definition.url)
            return !existed
        }
        return (try await subscription(name), created)
    }

    public func subscriptions() async throws -> [SubscriptionView] {
        try await store.read { records in try await records.subscriptions.all() }
    }

    public func subscription(_ name: ResourceName) async throws -> SubscriptionView {
        guard let view = try await subscriptions().first(where: { $0.name == name.value }) else {
            throw GroundControlError(.notFound, "subscription '\(name)' does not exist")
        }
        return view
    }

    public func deleteSubscription(_ name: ResourceName, by actor: Fleet.Actor) async throws {
        try await change(by: actor) { changes in
            guard try await changes.records.subscriptions.delete(name.value) else {
                throw GroundControlError(.notFound, "subscription '\(name)' does not exist")
            }
            changes.audit("subscription.delete", name.value)
        }
    }

    /// The delivery log, newest first.
    public func deliveries(of name: ResourceName, limit: Int = 100) async throws -> [DeliveryAttempt] {
        _ = try await subscription(name)
        let limit = max(1, min(limit, 1000))
        return try await store.read { records in
            try await records.subscriptions.deliveries(of: name.value, limit: limit)
        }
    }
}
