import OCI

/// Where the registry reports the manifests devices asked for that the store did not hold: the
/// satellite aggregates them so operators see what a site wants and no group gives it.
/// Called on the request's path: it must be cheap and must not wait.
public protocol DemandLog: Sendable {
    func asked(_ request: UnheldManifest)
}

/// A manifest request the store could not answer at once, and what came of it.
public struct UnheldManifest: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// Pulled through: fetched from its upstream for the device.
        case fetched
        /// Pull-through tried and the upstream did not give it.
        case unavailable
        /// Pull-through would fetch it, but not now (outside the sync windows).
        case deferred
        /// Outside the pull-through rules: refused without asking anyone.
        case denied
        /// Nothing may fetch it here: a plain miss.
        case notFound
    }

    /// As the store keeps it (`<upstream>/<repository>` on a satellite), or as asked when the
    /// name resolves to no repository.
    public let repository: RepositoryName
    public let reference: Reference
    /// The registry host the device named (`?ns=`) when this registry mirrors nothing from it.
    public let unknownHost: String?
    public let outcome: Outcome

    public init(repository: RepositoryName, reference: Reference, unknownHost: String? = nil, outcome: Outcome) {
        self.repository = repository
        self.reference = reference
        self.unknownHost = unknownHost
        self.outcome = outcome
    }
}

/// Demand goes nowhere: a plain registry.
public struct NoDemandLog: DemandLog {
    public init() {}
    public func asked(_ request: UnheldManifest) {}
}
