import Foundation

/// One area of the fleet's domain (`fleet.registries`, `fleet.groups`, `fleet.satellites`,
/// `fleet.sites`, `fleet.people`, `fleet.events`, `fleet.robots`). Each works on its own
/// repositories; all of them change the fleet only through `change(by:)`, so the revision
/// stamps, audit lines, events and wake-ups of a change follow from it in one place.
protocol FleetService: Sendable {
    var fleet: Fleet { get }
}

extension FleetService {
    var store: any FleetStore { fleet.store }
    var now: @Sendable () -> Date { fleet.now }
    var tokenLifetime: TimeInterval { fleet.tokenLifetime }
    var eventTargets: EventTargetPolicy { fleet.eventTargets }

    func change<T: Sendable>(
        by actor: Fleet.Actor, _ body: @Sendable (inout FleetChangeSet) async throws -> T
    ) async throws -> T {
        try await fleet.change(by: actor, body)
    }

    static func milliseconds(_ date: Date) -> Int64 { Fleet.milliseconds(date) }

    static func date(_ milliseconds: Int64) -> Date { Fleet.date(milliseconds) }

    static func json<T: Encodable>(_ value: T) throws -> String { try Fleet.json(value) }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try Fleet.decode(type, text) }
}

/// Registries: their definitions, credentials and webhooks.
public struct RegistryService: FleetService {
    let fleet: Fleet
}

/// Groups: the artifacts they name and the tags they resolve.
public struct GroupService: FleetService {
    let fleet: Fleet
}

/// Satellites: their lifecycle, tokens, groups, settings, approval, heartbeats and health.
public struct SatelliteService: FleetService {
    let fleet: Fleet
}

/// Sites: the satellites that share one, and the credential they present to each other.
public struct SiteService: FleetService {
    let fleet: Fleet
}

/// People: accounts, roles, sessions, tokens and failed logins.
public struct PeopleService: FleetService {
    let fleet: Fleet
}

/// Events: subscriptions, the event log and its delivery.
public struct EventService: FleetService {
    let fleet: Fleet
}

/// Harbor robots: one per satellite and registry, issued, kept and retired.
public struct RobotService: FleetService {
    let fleet: Fleet
}

extension Fleet {
    public var registries: RegistryService { RegistryService(fleet: self) }
    public var groups: GroupService { GroupService(fleet: self) }
    public var satellites: SatelliteService { SatelliteService(fleet: self) }
    public var sites: SiteService { SiteService(fleet: self) }
    public var people: PeopleService { PeopleService(fleet: self) }
    public var events: EventService { EventService(fleet: self) }
    public var robots: RobotService { RobotService(fleet: self) }
}
