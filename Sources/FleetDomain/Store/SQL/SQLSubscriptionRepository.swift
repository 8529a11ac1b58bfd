import FleetAPI
import SatelliteProtocol

struct SQLSubscriptionRepository: SubscriptionRepository {
    let session: any FleetSession
    let secrets: SecretColumns

    func all() async throws -> [SubscriptionView] {
        try await session.query(
            """
            SELECT s.name AS name, s.url AS url, s.types AS types, s.created_at AS created_at, s.delivered_through AS
                delivered_through,
                   s.failures AS failures, s.retry_at AS retry_at, s.last_error AS last_error,
                   (SELECT COUNT(*) FROM events e WHERE e.id > s.delivered_through) AS pending
            FROM event_subscriptions s ORDER BY s.name
            """
        ).map { row in
            let retry = try row.integer("retry_at")
            return SubscriptionView(
                name: try row.text("name"), url: try row.text("url"),
                types: try StoredJSON.decode([String].self, try row.text("types")),
                createdAt: Fleet.date(try row.integer("created_at")),
                deliveredThrough: try row.integer("delivered_through"),
                pending: Int(try row.integer("pending")), failures: Int(try row.integer("failures")),
                retryAt: retry > 0 ? Fleet.date(retry) : nil, lastError: try row.optionalText("last_error"))
        }
    }

    func exists(_ name: String) async throws -> Bool {
        try await !session.query("SELECT 1 FROM event_subscriptions WHERE name = ?", .text(name)).isEmpty
    }

    func create(_ subscription: SubscriptionRecord) async throws {
        let last =
            try await session.query("SELECT COALESCE(MAX(id), 0) AS last FROM events").first?.integer("last") ?? 0
        try await session.query(
            """
            INSERT INTO event_subscriptions (name, url, secret, types, created_at, delivered_through) VALUES (?,
                ?, ?, ?, ?, ?)
            """,
            .text(subscription.name), .text(subscription.url),
            .text(try secrets.seal(subscription.secret, .subscriptionSecret, key: subscription.name)),
            .text(try StoredJSON.encode(subscription.types)),
            .integer(subscription.createdAt), .integer(last))
    }

    func update(_ name: String, url: String, types: [String], secret: String?) async throws {
        try await session.query(
            "UPDATE event_subscriptions SET url = ?, types = ? WHERE name = ?", .text(url),
            .text(try StoredJSON.encode(types)), .text(name))
        if let secret {
            try await session.query(
                "UPDATE event_subscriptions SET secret = ? WHERE name = ?",
                .text(try secrets.seal(secret, .subscriptionSecret, key: name)), .text(name))
        }
    }

    func delete(_ name: String) async throws -> Bool {
        guard
            try await !session.query("DELETE FROM event_subscriptions WHERE name = ? RETURNING name", .text(name))
                .isEmpty
        else { return false }
        try await session.query("DELETE FROM event_deliveries WHERE subscription = ?", .text(name))
        return true
    }

    func due(at: Int64, owner: String) async throws -> [DeliveryTargetRecord] {
        try await session.query(
            """
            SELECT name, url, secret, types, delivered_through, failures FROM event_subscriptions s
            WHERE retry_at <= ? AND (lease_until <= ? OR lease_owner = ?)
              AND EXISTS (SELECT 1 FROM events e WHERE e.id > s.delivered_through)
            """, .integer(at), .integer(at), .text(owner)
        ).map { row in
            let name = try row.text("name")
            return DeliveryTargetRecord(
                name: name, url: try row.text("url"),
                secret: try secrets.open(row.text("secret"), .subscriptionSecret, key: name),
                types: try StoredJSON.decode([String].self, try row.text("types")),
                cursor: try row.integer("delivered_through"),
                failures: Int(try row.integer("failures")))
        }
    }

    func claim(_ name: String, owner: String, at: Int64, until: Int64) async throws -> Bool {
        try await !session.query(
            """
            UPDATE event_subscriptions SET lease_owner = ?, lease_until = ?
            WHERE name = ? AND (lease_until <= ? OR lease_owner = ?) RETURNING name
            """, .text(owner), .integer(until), .text(name), .integer(at), .text(owner)
        ).isEmpty
    }

    func advance(_ name: String, to id: Int64, owner: String) async throws {
        try await session.query(
            """
            UPDATE event_subscriptions SET delivered_through = ? WHERE name = ? AND lease_owner = ? AND
                delivered_through < ?
            """,
            .integer(id), .text(name), .text(owner), .integer(id))
    }

    func logAttempt(_ attempt: DeliveryAttemptRecord) async throws {
        try await session.query(
            """
            INSERT INTO event_deliveries (subscription, event_id, event_type, at, attempt, status, error) VALUES
                (?, ?, ?, ?, ?, ?, ?)
            """,
            .text(attempt.subscription), .integer(attempt.eventID), .text(attempt.eventType), .integer(attempt.at),
            .integer(Int64(attempt.attempt)), attempt.status.map { .integer(Int64($0)) } ?? .null,
            .optional(attempt.error))
    }

    func recordFailure(of name: String, owner: String, retryAt: Int64, error: String?) async throws {
        try await session.query(
            """
            UPDATE event_subscriptions SET failures = failures + 1, retry_at = ?, last_error = ?, lease_until = 0
            WHERE name = ? AND lease_owner = ?
            """, .integer(retryAt), .optional(error), .text(name), .text(owner))
    }

    func recordSuccess(of name: String, owner: String, through id: Int64, leaseUntil: Int64) async throws {
        try await session.query(
            """
            UPDATE event_subscriptions SET delivered_through = ?, failures = 0, retry_at = 0, last_error = NULL,
                lease_until = ?
            WHERE name = ? AND lease_owner = ? AND delivered_through < ?
            """, .integer(id), .integer(leaseUntil), .text(name), .text(owner), .integer(id))
    }

    func release(_ name: String?, owner: String) async throws {
        if let name {
            try await session.query(
                "UPDATE event_subscriptions SET lease_until = 0 WHERE name = ? AND lease_owner = ?", .text(name),
                .text(owner))
        } else {
            try await session.query(
                "UPDATE event_subscriptions SET lease_until = 0 WHERE lease_owner = ?", .text(owner))
        }
    }

    func deliveries(of name: String, limit: Int) async throws -> [DeliveryAttempt] {
        try await session.query(
            """
            SELECT event_id, event_type, at, attempt, status, error FROM event_deliveries WHERE subscription = ?
                ORDER BY id DESC LIMIT ?
            """,
            .text(name), .integer(Int64(limit))
        ).map { row in
            DeliveryAttempt(
                eventId: try row.integer("event_id"), type: try row.text("event_type"),
                at: Fleet.date(try row.integer("at")),
                attempt: Int(try row.integer("attempt")), status: try row.optionalInteger("status").map(Int.init),
                error: try row.optionalText("error"))
        }
    }

    func prune(before: Int64) async throws {
        try await session.query(
            """
            DELETE FROM events WHERE at < ?
              AND id <= (SELECT COALESCE(MIN(delivered_through), (SELECT COALESCE(MAX(id), 0) FROM events)) FROM
                  event_subscriptions)
            """, .integer(before))
        try await session.query("DELETE FROM event_deliveries WHERE at < ?", .integer(before))
    }
}
