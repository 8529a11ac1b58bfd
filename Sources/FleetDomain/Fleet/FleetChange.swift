import FleetAPI
import Foundation
import SatelliteProtocol
import Synchronization

/// What a committed change to the fleet touched, as its observers hear of it.
public struct FleetChange: Sendable, Equatable {
    /// The revision the change stamped on what it touched; nil when no satellite's desired state
    /// can differ (a heartbeat, a person, a subscription).
    public var revision: Int64?
    /// Satellites whose own row it stamped (their sites' members included).
    public var satellites: Set<String> = []
    /// Registries or groups changed in a way the tag resolver must look at again.
    public var resolveTags = false

    public init(revision: Int64? = nil, satellites: Set<String> = [], resolveTags: Bool = false) {
        self.revision = revision
        self.satellites = satellites
        self.resolveTags = resolveTags
    }
}

/// Whoever must hear of the fleet's changes made in this process (long-polls, the tag resolver).
/// Other processes on the database see them by the revision.
public final class FleetChangeObservers: Sendable {
    public typealias Observer = @Sendable (FleetChange) async -> Void
    private let observers = Mutex<[Observer]>([])

    public init() {}

    public func observe(_ observer: @escaping Observer) {
        observers.withLock { $0.append(observer) }
    }

    func publish(_ change: FleetChange) async {
        for observer in observers.withLock({ $0 }) {
            await observer(change)
        }
    }
}

/// One change to the fleet in the making, inside its transaction: the records to change, and
/// what follows from the change. `Fleet.change` applies what follows in one place before the
/// commit (the revision stamps, audit lines and events) and tells the observers after it, so
/// no caller has to remember any of it.
struct FleetChangeSet: Sendable {
    let records: FleetRecords
    let actor: Fleet.Actor
    private let at: Int64
    private var summary = FleetChange()
    /// Satellites whose row `apply` stamps (a new one carries the revision already).
    private var stamped: Set<String> = []
    private var sites: Set<String> = []
    private var audits: [AuditRecord] = []
    private var events: [EventRecord] = []

    /// When the change is made, in milliseconds since 1970.
    var timestamp: Int64 { at }

    init(records: FleetRecords, actor: Fleet.Actor, at: Int64) {
        self.records = records
        self.actor = actor
        self.at = at
    }

    /// The revision this change stamps on what it touches: the fleet's next, taken once. Every
    /// change that can alter a satellite's desired state takes one, so a satellite's generation
    /// (the highest stamp among itself, its groups and their registries) moves exactly then.
    mutating func revision() async throws -> Int64 {
        if let revision = summary.revision { return revision }
        let revision = try await records.revision.next()
        summary.revision = revision
        return revision
    }

    /// The satellite's settings, groups, status or secrets changed: caches of it (in every
    /// process) must read it again.
    mutating func touch(satellite name: String) async throws {
        _ = try await revision()
        summary.satellites.insert(name)
        stamped.insert(name)
    }

    /// A satellite added at this change's revision: its caches start now.
    mutating func created(satellite name: String) async throws -> Int64 {
        summary.satellites.insert(name)
        return try await revision()
    }

    /// The site's members list each other (or share its credential): each is stamped.
    mutating func touch(site name: String) async throws {
        _ = try await revision()
        sites.insert(name)
    }

    /// Moves the site's credential on by `steps` (two leaves no credential a former member knew)
    /// and stamps its members.
    mutating func rotate(site name: String, steps: Int64) async throws {
        try await records.sites.advance(name, by: steps)
        try await touch(site: name)
    }

    mutating func resolveTags() {
        summary.resolveTags = true
    }

    /// An audit line, by this change's actor unless another is named.
    mutating func audit(_ action: String, _ target: String, _ detail: String? = nil, by actor: Fleet.Actor? = nil) {
        audits.append(
            AuditRecord(
                at: at, actor: (actor ?? self.actor).description, action: action, target: target, detail: detail))
    }

    /// An event for other systems, written with the change: it exists exactly when the change does.
    mutating func emit(_ type: FleetEventType, subject: String, data: [String: String] = [:]) throws {
        var data = data
        data[type.isAboutGroup ? "group" : "satellite"] = subject
        events.append(EventRecord(type: type.rawValue, subject: subject, at: at, data: try StoredJSON.encode(data)))
    }

    /// Writes what follows from the change, inside its transaction.
    func apply() async throws -> FleetChange {
        var summary = summary
        if let revision = summary.revision {
            for name in stamped.sorted() {
                try await records.satellites.setRevision(revision, of: name)
            }
            for site in sites.sorted() {
                summary.satellites.formUnion(try await records.satellites.setRevision(revision, ofSite: site))
            }
        }
        for entry in audits { try await records.audit.append(entry) }
        for event in events { try await records.events.append(event) }
        return summary
    }
}

extension Fleet {
    /// Runs `body` as one change in one transaction, then tells this process's observers.
    func change<T: Sendable>(
        by actor: Actor, _ body: @Sendable (inout FleetChangeSet) async throws -> T
    ) async throws -> T {
        let at = Self.milliseconds(now())
        let (result, change) = try await store.transaction { records in
            var changes = FleetChangeSet(records: records, actor: actor, at: at)
            let result = try await body(&changes)
            return (result, try await changes.apply())
        }
        await observers.publish(change)
        return result
    }
}
