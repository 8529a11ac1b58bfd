import Foundation
import SatelliteProtocol

/// The fleet's domain. Its areas are services of their own (`registries`, `groups`,
/// `satellites`, `sites`, `people`, `events`, `robots`; see `FleetService`); the fleet itself
/// keeps what spans them: registration and authentication, the desired state, bundles and the
/// audit log.
///
/// Every change runs in one `FleetStore` transaction through `change(by:)`, which stamps what it
/// touched with a new fleet revision, writes its audit lines and events, and tells the observers
/// (see `FleetChangeSet`).
public struct Fleet: Sendable {
    public let store: any FleetStore
    /// How long a registration token stays usable.
    public let tokenLifetime: TimeInterval
    /// Where subscriptions may send events.
    public let eventTargets: EventTargetPolicy
    /// Who satellites are and the authority that certifies them.
    public let identity: IdentitySettings
    /// Told of every change this process commits.
    public let observers = FleetChangeObservers()
    let now: @Sendable () -> Date

    public init(
        store: any FleetStore, tokenLifetime: TimeInterval = 24 * 3600,
        eventTargets: EventTargetPolicy = EventTargetPolicy(), identity: IdentitySettings = IdentitySettings(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.tokenLifetime = tokenLifetime
        self.eventTargets = eventTargets
        self.identity = identity
        self.now = now
    }

    /// Brings the schema up to date; run before serving.
    public func prepare() async throws {
        try await store.prepare()
    }

    /// Takes or renews the lease on a job one process does for all, for `duration`; whether
    /// `owner` (a process) holds it. A process that stops renewing loses it when it ends.
    public func holdLease(_ job: String, owner: String, for duration: Duration) async throws -> Bool {
        let at = Self.milliseconds(now())
        let until = at + duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return try await store.transaction { records in
            try await records.meta.hold(lease: job, owner: owner, until: until, now: at)
        }
    }

    /// The fleet-wide revision: it changes whenever any satellite's desired state may have.
    public func revision() async throws -> Int64 {
        try await store.read { records in try await records.revision.current() }
    }

    /// Who made a change, as the audit log names them.
    public enum Actor: Sendable, Equatable, CustomStringConvertible {
        /// The bootstrap admin token (automation).
        case admin
        /// A person, by their account.
        case user(String)
        case satellite(String)
        /// Ground Control's own services (the Harbor robot keeper).
        case groundControl

        public var description: String {
            switch self {
            case .admin: "admin"
            case .user(let name): "user:\(name)"
            case .satellite(let name): "satellite:\(name)"
            case .groundControl: "ground-control"
            }
        }
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    static func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    static func json<T: Encodable>(_ value: T) throws -> String { try StoredJSON.encode(value) }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try StoredJSON.decode(type, text) }
}
