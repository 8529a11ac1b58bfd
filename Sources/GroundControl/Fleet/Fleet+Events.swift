import Foundation
import SatelliteProtocol

/// Events for other systems. Each is written in the transaction of the change it tells of, so an
/// event exists exactly when its change does; subscriptions read them in id order from a cursor.
extension Fleet {
    /// One stored event.
    public struct Event: Sendable, Equatable {
        public let id: Int64
        public let type: String
        public let subject: String
        public let at: Date
        /// A JSON object.
        public let data: String
    }

    /// Records an event inside the caller's transaction.
    func emit(_ records: FleetRecords, _ type: FleetEventType, subject: String, data: [String: String] = [:]) async throws {
        var data = data
        data[type.rawValue.hasPrefix("group.") ? "group" : "satellite"] = subject
        try await records.events.append(
            EventRecord(type: type.rawValue, subject: subject, at: Self.milliseconds(now()), data: try Self.json(data)))
    }

    // MARK: Subscriptions

    public func putSubscription(_ name: ResourceName, _ definition: SubscriptionDefinition, by actor: Actor) async throws -> (SubscriptionView, created: Bool) {
        try await eventTargets.check(try EventTargetPolicy.validatedURL(definition.url))
        let types = definition.types ?? []
        for type in types where FleetEventType(rawValue: type) == nil {
            throw GroundControlError(
                .invalidField, "types: '\(type.prefix(60))' is not an event type (\(FleetEventType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if let secret = definition.secret, !(16...512).contains(secret.unicodeScalars.count) {
            throw GroundControlError(.invalidField, "secret: must be 16 to 512 characters")
        }
        let at = Self.milliseconds(now())
        let created = try await store.transaction { session in
            let existed = try await !session.query("SELECT 1 FROM event_subscriptions WHERE name = ?", .text(name.value)).isEmpty
            if existed {
                try await session.query(
                    "UPDATE event_subscriptions SET url = ?, types = ? WHERE name = ?",
                    .text(definition.url), .text(try Self.json(types)), .text(name.value))
                if let secret = definition.secret {
                    try await session.query("UPDATE event_subscriptions SET secret = ? WHERE name = ?", .text(secret), .text(name.value))
                }
            } else {
                guard let secret = definition.secret else {
                    throw GroundControlError(.invalidField, "secret: is required for a new subscription (it signs each delivery)")
                }
                // A new subscription hears what happens from now on.
                let last = try await session.query("SELECT COALESCE(MAX(id), 0) AS last FROM events").first?.integer("last") ?? 0
                try await session.query(
                    "INSERT INTO event_subscriptions (name, url, secret, types, created_at, delivered_through) VALUES (?, ?, ?, ?, ?, ?)",
                    .text(name.value), .text(definition.url), .text(secret), .text(try Self.json(types)), .integer(at), .integer(last))
            }
            try await audit(session, actor, existed ? "subscription.update" : "subscription.create", name.value, definition.url)
            return !existed
        }
        return (try await subscription(name), created)
    }

    public func subscriptions() async throws -> [SubscriptionView] {
        try await store.read { session in
            var views: [SubscriptionView] = []
            for row in try await session.query(
                """
                SELECT s.name AS name, s.url AS url, s.types AS types, s.created_at AS created_at, s.delivered_through AS delivered_through,
                       s.failures AS failures, s.retry_at AS retry_at, s.last_error AS last_error,
                       (SELECT COUNT(*) FROM events e WHERE e.id > s.delivered_through) AS pending
                FROM event_subscriptions s ORDER BY s.name
                """) {
                let retry = try row.integer("retry_at")
                views.append(SubscriptionView(
                    name: try row.text("name"), url: try row.text("url"), types: try Self.decode([String].self, try row.text("types")),
                    createdAt: Self.date(try row.integer("created_at")), deliveredThrough: try row.integer("delivered_through"),
                    pending: Int(try row.integer("pending")), failures: Int(try row.integer("failures")),
                    retryAt: retry > 0 ? Self.date(retry) : nil, lastError: try row.optionalText("last_error")))
            }
            return views
        }
    }

    public func subscription(_ name: ResourceName) async throws -> SubscriptionView {
        guard let view = try await subscriptions().first(where: { $0.name == name.value }) else {
            throw GroundControlError(.notFound, "subscription '\(name)' does not exist")
        }
        return view
    }

    public func deleteSubscription(_ name: ResourceName, by actor: Actor) async throws {
        try await store.transaction { session in
            guard try await !session.query("DELETE FROM event_subscriptions WHERE name = ? RETURNING name", .text(name.value)).isEmpty else {
                throw GroundControlError(.notFound, "subscription '\(name)' does not exist")
            }
            try await session.query("DELETE FROM event_deliveries WHERE subscription = ?", .text(name.value))
            try await audit(session, actor, "subscription.delete", name.value)
        }
    }

    /// The delivery log, newest first.
    public func deliveries(of name: ResourceName, limit: Int = 100) async throws -> [DeliveryAttempt] {
        _ = try await subscription(name)
        return try await store.read { session in
            try await session.query(
                "SELECT event_id, event_type, at, attempt, status, error FROM event_deliveries WHERE subscription = ? ORDER BY id DESC LIMIT ?",
                .text(name.value), .integer(Int64(max(1, min(limit, 1000))))
            ).map { row in
                DeliveryAttempt(
                    eventId: try row.integer("event_id"), type: try row.text("event_type"), at: Self.date(try row.integer("at")),
                    attempt: Int(try row.integer("attempt")), status: try row.optionalInteger("status").map(Int.init),
                    error: try row.optionalText("error"))
            }
        }
    }
}
