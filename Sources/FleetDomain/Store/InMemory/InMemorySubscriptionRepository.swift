import FleetAPI
import SatelliteProtocol

struct InMemorySubscriptionRepository: SubscriptionRepository {
    let transaction: InMemoryTransaction

    func all() async throws -> [SubscriptionView] {
        transaction.read { tables in
            tables.subscriptions.values.sorted { $0.name < $1.name }.map { subscription in
                SubscriptionView(
                    name: subscription.name, url: subscription.url, types: subscription.types,
                    createdAt: Fleet.date(subscription.createdAt),
                    deliveredThrough: subscription.deliveredThrough,
                    pending: tables.events.filter { $0.id > subscription.deliveredThrough }.count,
                    failures: subscription.failures,
                    retryAt: subscription.retryAt > 0 ? Fleet.date(subscription.retryAt) : nil,
                    lastError: subscription.lastError)
            }
        }
    }

    func exists(_ name: String) async throws -> Bool { transaction.read { $0.subscriptions[name] != nil } }

    func create(_ subscription: SubscriptionRecord) async throws {
        try transaction.change { tables in
            guard tables.subscriptions[subscription.name] == nil else {
                throw FleetStoreError.constraint("event_subscriptions.name: '\(subscription.name)' exists")
            }
            tables.subscriptions[subscription.name] = InMemorySubscription(
                name: subscription.name, url: subscription.url, secret: subscription.secret, types: subscription.types,
                createdAt: subscription.createdAt, deliveredThrough: tables.events.last?.id ?? 0)
        }
    }

    func update(_ name: String, url: String, types: [String], secret: String?) async throws {
        change(name) { subscription in
            subscription.url = url
            subscription.types = types
            if let secret { subscription.secret = secret }
        }
    }

    func delete(_ name: String) async throws -> Bool {
        transaction.change { tables in
            guard tables.subscriptions.removeValue(forKey: name) != nil else { return false }
            tables.deliveries.removeAll { $0.subscription == name }
            return true
        }
    }

    func due(at: Int64, owner: String) async throws -> [DeliveryTargetRecord] {
        transaction.read { tables in
            let last = tables.events.last?.id ?? 0
            return tables.subscriptions.values
                .filter { $0.retryAt <= at && $0.leaseIsFree(at: at, for: owner) && last > $0.deliveredThrough }
                .map {
                    DeliveryTargetRecord(
                        name: $0.name, url: $0.url, secret: $0.secret, types: $0.types, cursor: $0.deliveredThrough,
                        failures: $0.failures)
                }
        }
    }

    func claim(_ name: String, owner: String, at: Int64, until: Int64) async throws -> Bool {
        change(name, where: { $0.leaseIsFree(at: at, for: owner) }) { subscription in
            subscription.leaseOwner = owner
            subscription.leaseUntil = until
        }
    }

    func advance(_ name: String, to id: Int64, owner: String) async throws {
        change(name, where: { $0.leaseOwner == owner && $0.deliveredThrough < id }) { $0.deliveredThrough = id }
    }

    func logAttempt(_ attempt: DeliveryAttemptRecord) async throws {
        transaction.change { $0.deliveries.append(attempt) }
    }

    func recordFailure(of name: String, owner: String, retryAt: Int64, error: String?) async throws {
        change(name, where: { $0.leaseOwner == owner }) { subscription in
            subscription.failures += 1
            subscription.retryAt = retryAt
            subscription.lastError = error
            subscription.leaseUntil = 0
        }
    }

    func recordSuccess(of name: String, owner: String, through id: Int64, leaseUntil: Int64) async throws {
        change(name, where: { $0.leaseOwner == owner && $0.deliveredThrough < id }) { subscription in
            subscription.deliveredThrough = id
            subscription.failures = 0
            subscription.retryAt = 0
            subscription.lastError = nil
            subscription.leaseUntil = leaseUntil
        }
    }

    func release(_ name: String?, owner: String) async throws {
        transaction.change { tables in
            for key in tables.subscriptions.keys
            where (name == nil || key == name) && tables.subscriptions[key]?.leaseOwner == owner {
                tables.subscriptions[key]?.leaseUntil = 0
            }
        }
    }

    func deliveries(of name: String, limit: Int) async throws -> [DeliveryAttempt] {
        transaction.read { tables in
            tables.deliveries.reversed().lazy.filter { $0.subscription == name }.prefix(limit).map {
                DeliveryAttempt(
                    eventId: $0.eventID, type: $0.eventType, at: Fleet.date($0.at), attempt: $0.attempt,
                    status: $0.status, error: $0.error)
            }
        }
    }

    func prune(before: Int64) async throws {
        transaction.change { tables in
            let passed = tables.subscriptions.values.map(\.deliveredThrough).min() ?? tables.lastEventID
            tables.events.removeAll { $0.at < Fleet.date(before) && $0.id <= passed }
            tables.deliveries.removeAll { $0.at < before }
        }
    }

    /// Changes the subscription when it exists and meets `condition`; returns whether it did.
    @discardableResult
    private func change(
        _ name: String, where condition: (InMemorySubscription) -> Bool = { _ in true },
        _ body: (inout InMemorySubscription) -> Void
    ) -> Bool {
        transaction.change { tables in
            guard var subscription = tables.subscriptions[name], condition(subscription) else { return false }
            body(&subscription)
            tables.subscriptions[name] = subscription
            return true
        }
    }
}
