import Foundation
import SatelliteProtocol

/// What the event deliverer needs from the store: subscriptions due, under a lease so that one
/// process delivers each at a time (in order), the events past their cursor, and the log.
extension Fleet {
    struct DeliveryTarget: Sendable {
        let name: String
        let url: String
        let secret: String
        /// Empty: every type.
        let types: Set<String>
        let cursor: Int64
        let failures: Int
    }

    /// Takes the lease of every subscription with events waiting whose retry time has come.
    ///
    /// Asked several times a second, and nearly always with nothing due: a read answers that, so
    /// only a claim queues for the database's writer (on SQLite, one for everything).
    func claimDueSubscriptions(owner: String, lease: TimeInterval) async throws -> [DeliveryTarget] {
        let at = Self.milliseconds(now())
        let until = Self.milliseconds(now().addingTimeInterval(lease))
        let due = """
            SELECT name, url, secret, types, delivered_through, failures FROM event_subscriptions s
            WHERE retry_at <= ? AND (lease_until <= ? OR lease_owner = ?)
              AND EXISTS (SELECT 1 FROM events e WHERE e.id > s.delivered_through)
            """
        let arguments: [SQLValue] = [.integer(at), .integer(at), .text(owner)]
        guard try await !store.read({ session in try await session.query(due, arguments) }).isEmpty else { return [] }
        return try await store.transaction { session in
            var targets: [DeliveryTarget] = []
            for row in try await session.query(due, arguments) {
                let name = try row.text("name")
                let claimed = try await session.query(
                    """
                    UPDATE event_subscriptions SET lease_owner = ?, lease_until = ?
                    WHERE name = ? AND (lease_until <= ? OR lease_owner = ?) RETURNING name
                    """, .text(owner), .integer(until), .text(name), .integer(at), .text(owner))
                guard !claimed.isEmpty else { continue }
                targets.append(DeliveryTarget(
                    name: name, url: try row.text("url"), secret: try row.text("secret"),
                    types: Set(try Self.decode([String].self, try row.text("types"))), cursor: try row.integer("delivered_through"),
                    failures: Int(try row.integer("failures"))))
            }
            return targets
        }
    }

    func events(after cursor: Int64, limit: Int) async throws -> [Event] {
        try await store.read { session in
            try await session.query(
                "SELECT id, type, subject, at, data FROM events WHERE id > ? ORDER BY id LIMIT ?", .integer(cursor), .integer(Int64(limit))
            ).map { row in
                Event(
                    id: try row.integer("id"), type: try row.text("type"), subject: try row.text("subject"), at: Self.date(try row.integer("at")),
                    data: try row.text("data"))
            }
        }
    }

    /// Moves the cursor past events the subscription does not want.
    func passOver(_ subscription: String, through id: Int64, owner: String) async throws {
        try await store.transaction { session in
            try await session.query(
                "UPDATE event_subscriptions SET delivered_through = ? WHERE name = ? AND lease_owner = ? AND delivered_through < ?",
                .integer(id), .text(subscription), .text(owner), .integer(id))
        }
    }

    /// Logs an attempt; a success moves the cursor and renews the lease for `lease`, a failure
    /// sets the next try `retryAfter` on and gives the lease up.
    func recordAttempt(
        _ subscription: String, event: Event, attempt: Int, status: Int?, error: String?, owner: String, retryAfter: TimeInterval?,
        lease: TimeInterval
    ) async throws {
        let at = Self.milliseconds(now())
        try await store.transaction { session in
            try await session.query(
                "INSERT INTO event_deliveries (subscription, event_id, event_type, at, attempt, status, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
                .text(subscription), .integer(event.id), .text(event.type), .integer(at), .integer(Int64(attempt)),
                status.map { .integer(Int64($0)) } ?? .null, .optional(error))
            if let retryAfter {
                try await session.query(
                    """
                    UPDATE event_subscriptions SET failures = failures + 1, retry_at = ?, last_error = ?, lease_until = 0
                    WHERE name = ? AND lease_owner = ?
                    """, .integer(Self.milliseconds(now().addingTimeInterval(retryAfter))), .optional(error), .text(subscription), .text(owner))
            } else {
                try await session.query(
                    """
                    UPDATE event_subscriptions SET delivered_through = ?, failures = 0, retry_at = 0, last_error = NULL, lease_until = ?
                    WHERE name = ? AND lease_owner = ? AND delivered_through < ?
                    """, .integer(event.id), .integer(Self.milliseconds(now().addingTimeInterval(lease))), .text(subscription), .text(owner),
                    .integer(event.id))
            }
        }
    }

    func releaseLease(_ subscription: String, owner: String) async throws {
        try await store.transaction { session in
            try await session.query(
                "UPDATE event_subscriptions SET lease_until = 0 WHERE name = ? AND lease_owner = ?", .text(subscription), .text(owner))
        }
    }

    func releaseLeases(owner: String) async throws {
        try await store.transaction { session in
            try await session.query("UPDATE event_subscriptions SET lease_until = 0 WHERE lease_owner = ?", .text(owner))
        }
    }

    /// Forgets events every subscription has passed and log lines, once older than `age`.
    func pruneEvents(olderThan age: TimeInterval) async throws {
        let before = Self.milliseconds(now().addingTimeInterval(-age))
        try await store.transaction { session in
            try await session.query(
                """
                DELETE FROM events WHERE at < ?
                  AND id <= (SELECT COALESCE(MIN(delivered_through), (SELECT COALESCE(MAX(id), 0) FROM events)) FROM event_subscriptions)
                """, .integer(before))
            try await session.query("DELETE FROM event_deliveries WHERE at < ?", .integer(before))
        }
    }
}
