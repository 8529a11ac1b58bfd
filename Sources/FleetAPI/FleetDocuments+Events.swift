import Foundation

/// The events Ground Control tells subscribers of, as CloudEvents 1.0 `type`s.
public enum FleetEventType: String, Codable, Sendable, CaseIterable {
    case satelliteRegistered = "satellite.registered"
    case satelliteStale = "satellite.stale"
    case satelliteRecovered = "satellite.recovered"
    case satelliteSyncFailed = "satellite.sync.failed"
    case satelliteDrift = "satellite.drift"
    case satelliteBudgetExhausted = "satellite.budget.exhausted"
    case groupChanged = "group.changed"
    case rolloutStarted = "rollout.started"
    case rolloutWaveCompleted = "rollout.wave.completed"
    case rolloutPaused = "rollout.paused"
    case rolloutFailed = "rollout.failed"
    case rolloutCompleted = "rollout.completed"
    case rolloutAborted = "rollout.aborted"

    /// Whether its subject is a group (else a satellite).
    public var isAboutGroup: Bool { rawValue.hasPrefix("group.") || rawValue.hasPrefix("rollout.") }
}

/// `PUT /api/v1/subscriptions/{name}`: where to send events, which ones, and the secret that signs
/// them (required when the subscription is created; kept when left out later).
public struct SubscriptionDefinition: Codable, Sendable, Equatable {
    public var url: String
    /// Event types to send; every type when absent or empty.
    public var types: [String]?
    public var secret: String?

    public init(url: String, types: [String]? = nil, secret: String? = nil) {
        self.url = url
        self.types = types
        self.secret = secret
    }
}

/// A subscription as the API shows it (never its secret).
public struct SubscriptionView: Codable, Sendable, Equatable {
    public var name: String
    public var url: String
    public var types: [String]
    public var createdAt: Date
    /// The id of the last event delivered (or passed over as not wanted).
    public var deliveredThrough: Int64
    /// Events waiting for it, the next one included.
    public var pending: Int
    /// Failed attempts at the next event, and when it is tried again.
    public var failures: Int
    public var retryAt: Date?
    public var lastError: String?

    public init(
        name: String, url: String, types: [String], createdAt: Date, deliveredThrough: Int64, pending: Int,
        failures: Int,
        retryAt: Date?, lastError: String?
    ) {
        self.name = name
        self.url = url
        self.types = types
        self.createdAt = createdAt
        self.deliveredThrough = deliveredThrough
        self.pending = pending
        self.failures = failures
        self.retryAt = retryAt
        self.lastError = lastError
    }
}

/// One attempt to deliver one event, as the delivery log shows it.
public struct DeliveryAttempt: Codable, Sendable, Equatable {
    public var eventId: Int64
    public var type: String
    public var at: Date
    public var attempt: Int
    /// The receiver's HTTP status; absent when it could not be reached.
    public var status: Int?
    public var error: String?

    public init(eventId: Int64, type: String, at: Date, attempt: Int, status: Int?, error: String?) {
        self.eventId = eventId
        self.type = type
        self.at = at
        self.attempt = attempt
        self.status = status
        self.error = error
    }
}
