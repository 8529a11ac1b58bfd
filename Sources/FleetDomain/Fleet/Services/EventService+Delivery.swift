import Foundation
import SatelliteProtocol

/// What the event deliverer needs from the store: subscriptions due, under a lease so that one
/// process delivers each at a time (in order), the events past their cursor, and the log.
extension EventService {
    package struct DeliveryTarget: Sendable {
        package let name: String
        package let url: String
        package let secret: String
        /// Empty: every type.
        package let types: Set<String>
        package let cursor: Int64
        package let failures: Int
    }

    /// Takes the lease of every subscription with events waiting whose retry time has come.
    ///
    /// Asked several times a second, and nearly always with nothing due: a read answers that, so
    /// only a claim queues for the database's writer (on SQLite, one for everything).
    package func claimDueSubscriptions(owner: String, lease: TimeInterval) async throws -> [DeliveryTarget] {
        let at = Self.milliseconds(now())
        let until = Self.milliseconds(now().addingTimeInterval(lease))
        guard try await !store.read({ records in try await records.subscriptions.due(at: at, owner: owner) }).isEmpty
        else { return [] }
        return try await store.transaction { records in
            var targets: [DeliveryTarget] = []
            for due in try await records.subscriptions.due(at: at, owner: owner) {
                guard try await records.subscriptions.claim(due.name, owner: owner, at: at, until: until) else {
                    continue
                }
                targets.append(
                    DeliveryTarget(
                        name: due.name, url: due.url, secret: due.secret, types: Set(due.types), cursor: due.cursor,
                        failures: due.failures))
            }
            return targets
        }
    }

    package func list(after cursor: Int64, limit: Int) async throws -> [Event] {
        try await store.read { records in try await records.events.events(after: cursor, limit: limit) }
    }

    /// Moves the cursor past events the subscription does not want.
    package func passOver(_ subscription: String, through id: Int64, owner: String) async throws {
        try await store.transaction { records in
            try await records.subscriptions.advance(subscription, to: id, owner: owner)
        }
    }

    /// Logs an attempt; a success moves the cursor and renews the lease for `lease`, a failure
    /// sets the next try `retryAfter` on and gives the lease up.
    package func recordAttempt(
        _ subscription: String, event: Event, attempt: Int, status: Int?, error: String?, owner: String,
        retryAfter: TimeInterval?,
        lease: TimeInterval
    ) async throws {
        let logged = DeliveryAttemptRecord(
            subscription: subscription, eventID: event.id, eventType: event.type, at: Self.milliseconds(now()),
            attempt: attempt,
            status: status, error: error)
        let retryAt = retryAfter.map { Self.milliseconds(now().addingTimeInterval($0)) }
        let leaseUntil = Self.milliseconds(now().addingTimeInterval(lease))
        try await store.transaction { records in
            try await records.subscriptions.logAttempt(logged)
            if let retryAt {
                try await records.subscriptions.recordFailure(
                    of: subscription, owner: owner, retryAt: retryAt, error: error)
            } else {
                try await records.subscriptions.recordSuccess(
                    of: subscription, owner: owner, through: event.id, leaseUntil: leaseUntil)
            }
        }
    }

    package func releaseLease(_ subscription: String, owner: String) async throws {
        try await store.transaction { records in try await records.subscriptions.release(subscription, owner: owner) }
    }

    package func releaseLeases(owner: String) async throws {
        try await store.transaction { records in try await records.subscriptions.release(nil, owner: owner) }
    }

    /// Forgets events every subscription has passed and log lines, once older than `age`.
    package func prune(olderThan age: TimeInterval) async throws {
        let before = Self.milliseconds(now().addingTimeInterval(-age))
        try await store.transaction { records in try await records.subscriptions.prune(before: before) }
    }
}
