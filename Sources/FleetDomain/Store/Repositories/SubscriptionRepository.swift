import FleetAPI
import SatelliteProtocol

/// Event subscriptions, their delivery leases and cursors, the events and the delivery log.
package protocol SubscriptionRepository: Sendable {
    /// Every subscription, by name, with how many events wait past its cursor.
    func all() async throws -> [SubscriptionView]

    /// Whether one of this name exists.
    func exists(_ name: String) async throws -> Bool

    /// Adds one whose cursor is past every event there is: it hears what happens from now on.
    func create(_ subscription: SubscriptionRecord) async throws

    /// Changes the address and types, and the secret when one is given.
    func update(_ name: String, url: String, types: [String], secret: String?) async throws

    /// Deletes it and its delivery log; false when there was none.
    func delete(_ name: String) async throws -> Bool

    // MARK: Delivery

    /// The subscriptions with events past their cursor whose retry time has come and whose lease
    /// is free at `at` or `owner`'s.
    func due(at: Int64, owner: String) async throws -> [DeliveryTargetRecord]

    /// Takes the lease until `until`, if it is still free at `at` or `owner`'s.
    func claim(_ name: String, owner: String, at: Int64, until: Int64) async throws -> Bool

    /// Moves the cursor of a subscription `owner` holds on to `id` when it is behind.
    func advance(_ name: String, to id: Int64, owner: String) async throws

    func logAttempt(_ attempt: DeliveryAttemptRecord) async throws

    /// After a failure: one more, the next try at `retryAt`, the lease given up.
    func recordFailure(of name: String, owner: String, retryAt: Int64, error: String?) async throws

    /// After a success: the cursor at `id`, no failures, the lease renewed until `leaseUntil`.
    func recordSuccess(of name: String, owner: String, through id: Int64, leaseUntil: Int64) async throws

    /// Gives up the lease of one subscription, or of all `owner` holds.
    func release(_ name: String?, owner: String) async throws

    /// The delivery log, newest first.
    func deliveries(of name: String, limit: Int) async throws -> [DeliveryAttempt]

    /// Forgets events older than `before` that every subscription has passed, and log lines.
    func prune(before: Int64) async throws
}

package struct SubscriptionRecord: Sendable {
    let name: String
    let url: String
    let secret: String
    let types: [String]
    /// Milliseconds since 1970.
    let createdAt: Int64
}

/// A subscription as the deliverer needs it.
package struct DeliveryTargetRecord: Sendable {
    let name: String
    let url: String
    let secret: String
    let types: [String]
    let cursor: Int64
    let failures: Int
}

package struct DeliveryAttemptRecord: Sendable {
    let subscription: String
    let eventID: Int64
    let eventType: String
    /// Milliseconds since 1970.
    let at: Int64
    let attempt: Int
    let status: Int?
    let error: String?
}
