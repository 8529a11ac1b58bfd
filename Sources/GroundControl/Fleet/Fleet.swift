import Foundation
import SatelliteProtocol

/// The fleet's domain: registries, groups, satellites, registration, status and desired state.
///
/// Every operation that changes more than one row runs in one `FleetStore` transaction. Every
/// change that can alter a satellite's desired state takes a new value from the fleet-wide
/// revision counter and stamps it on what changed; a satellite's generation is the highest stamp
/// among itself, its groups and their registries, so it increases exactly when its state may have.
public struct Fleet: Sendable {
    public let store: any FleetStore
    /// How long a registration token stays usable.
    public let tokenLifetime: TimeInterval
    /// Where subscriptions may send events.
    public let eventTargets: EventTargetPolicy
    let now: @Sendable () -> Date

    public init(
        store: any FleetStore, tokenLifetime: TimeInterval = 24 * 3600, eventTargets: EventTargetPolicy = EventTargetPolicy(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.tokenLifetime = tokenLifetime
        self.eventTargets = eventTargets
        self.now = now
    }

    /// Brings the schema up to date; run before serving.
    public func prepare() async throws {
        try await store.prepare()
    }

    /// The fleet-wide revision: it changes whenever any satellite's desired state may have.
    public func revision() async throws -> Int64 {
        try await store.read { records in try await records.revision.current() }
    }

    /// Takes the next revision; in SQL the row lock also orders concurrent changes across processes.
    func nextRevision(_ records: FleetRecords) async throws -> Int64 {
        try await records.revision.next()
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

    func audit(_ records: FleetRecords, _ actor: Actor, _ action: String, _ target: String, _ detail: String? = nil) async throws {
        try await records.audit.append(
            AuditRecord(at: Self.milliseconds(now()), actor: actor.description, action: action, target: target, detail: detail))
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    static func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    static func json<T: Encodable>(_ value: T) throws -> String { try StoredJSON.encode(value) }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try StoredJSON.decode(type, text) }
}
