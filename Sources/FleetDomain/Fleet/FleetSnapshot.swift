import FleetAPI
import Foundation
import OCI
import SatelliteProtocol

extension SatelliteRecord {
    /// When it was last heard from, as the fleet view shows it: a revoked satellite keeps its
    /// last sight (a long-poll held then vouches for nothing).
    func lastHeard(now: Date) -> Int64? {
        Fleet.lastHeard(lastSeen, pollingUntil: status == "registered" ? pollingUntil : nil, now: now)
    }

    func state(now: Date) -> String {
        Self.state(
            status: status, lastSeen: Fleet.lastHeard(lastSeen, pollingUntil: pollingUntil, now: now),
            registeredAt: registeredAt, heartbeatSeconds: settings.heartbeatIntervalSeconds, now: now)
    }

    /// `online` until three heartbeats are missed, then `stale`.
    static func state(
        status: String, lastSeen: Int64?, registeredAt: Int64?, heartbeatSeconds: Int, now: Date
    ) -> String {
        guard status == "registered" else { return status }
        guard let since = lastSeen ?? registeredAt else { return "stale" }
        let silence = now.timeIntervalSince(Fleet.date(since))
        return silence > 3 * Double(heartbeatSeconds) ? "stale" : "online"
    }
}

extension Fleet {
    /// When a satellite was last heard from, as of `now`: its last request, or now while a
    /// long-poll it holds vouches for it (`pollingUntil`, in the future while one is held).
    static func lastHeard(_ lastSeen: Int64?, pollingUntil: Int64?, now: Date) -> Int64? {
        guard let pollingUntil else { return lastSeen }
        let heard = min(milliseconds(now), pollingUntil)
        return max(lastSeen ?? heard, heard)
    }
}

/// One or all satellites with the fleet configuration, read together for the fleet view.
struct FleetSnapshot: Sendable {
    var satellites: [SatelliteRecord] = []
    var membership: [String: [String]] = [:]
    var configuration = FleetConfiguration(revision: 0, groups: [:], registries: [:])
    /// Each satellite's robots handed out, by satellite.
    var robots: [String: [IssuedRobot]] = [:]
    var robotExpiry: [String: Int64] = [:]

    /// Loads the satellites named and the configuration.
    static func load(_ records: FleetRecords, satellites names: [String]) async throws -> FleetSnapshot {
        var snapshot = FleetSnapshot()
        snapshot.satellites = try await records.satellites.named(in: names)
        snapshot.membership = try await records.satellites.groups(of: names)
        try await snapshot.loadConfiguration(records, robotsOf: nil)
        return snapshot
    }

    /// Loads one satellite (`satellite` given) or the whole fleet, and the configuration.
    static func load(_ records: FleetRecords, satellite: String?) async throws -> FleetSnapshot {
        var snapshot = FleetSnapshot()
        if let satellite {
            guard let record = try await records.satellites.named(satellite) else { return snapshot }
            snapshot.satellites = [record]
            snapshot.membership = try await records.satellites.groups(of: [satellite])
        } else {
            snapshot.satellites = try await records.satellites.all()
            snapshot.membership = try await records.satellites.groups(of: nil)
        }
        try await snapshot.loadConfiguration(records, robotsOf: satellite)
        return snapshot
    }

    /// The groups and registries, and the robots handed out (to `satellite`, or to any).
    private mutating func loadConfiguration(_ records: FleetRecords, robotsOf satellite: String?) async throws {
        configuration = try await FleetConfiguration.load(records)
        let rows = try await records.robots.issued(to: satellite)
        for (name, issued) in Dictionary(grouping: rows, by: \.satellite) {
            robots[name] = RobotService.issuedRobots(among: issued)
        }
        for row in rows {
            if let expiresAt = row.expiresAt { robotExpiry[row.loginName] = expiresAt }
        }
    }

    /// The satellite's state as the fleet view judges drift by (robots' secrets left out).
    func desiredState(of satellite: SatelliteRecord) -> DesiredState {
        let robots = (robots[satellite.name] ?? []).map {
            ($0.registry, RobotCredential(username: $0.name, password: "", projects: $0.projects))
        }
        return configuration.desiredState(
            of: satellite.name, satelliteRevision: satellite.revision, groups: membership[satellite.name] ?? [],
            settings: satellite.settings,
            robots: Dictionary(robots) { first, _ in first })
    }

    /// Every satellite's view. Satellites in the same groups with no robot of their own want the
    /// same digests, worked out once per set of groups: the health watcher takes this view of
    /// the whole fleet every few seconds. It yields now and then, so a large fleet does not hold
    /// one of the few threads every request runs on.
    func views(now: Date) async -> [SatelliteView] {
        var wanted: [String: [Digest]] = [:]
        var views: [SatelliteView] = []
        views.reserveCapacity(satellites.count)
        for (index, satellite) in satellites.enumerated() {
            if index % 500 == 499 { await Task.yield() }
            let groups = membership[satellite.name] ?? []
            guard robots[satellite.name] == nil else {
                views.append(view(of: satellite, now: now))
                continue
            }
            // Members of the same groups differ only where a rollout has reached some of them.
            let key = groups.joined(separator: ",") + "|" + configuration.rolloutKey(of: satellite.name, in: groups)
            let digests = wanted[key] ?? desiredState(of: satellite).artifacts.compactMap(\.digest)
            wanted[key] = digests
            views.append(view(of: satellite, now: now, wanted: digests))
        }
        return views
    }

    /// - Parameter wanted: the digests the satellite's state names, when already worked out.
    func view(of satellite: SatelliteRecord, now: Date, wanted: [Digest]? = nil) -> SatelliteView {
        let held = Set(satellite.report?.inventory ?? [])
        let missing = (wanted ?? desiredState(of: satellite).artifacts.compactMap(\.digest)).filter {
            !held.contains($0)
        }.map(\.string)
        let generation = configuration.generation(
            of: satellite.name, satelliteRevision: satellite.revision, groups: membership[satellite.name] ?? [])
        var view = SatelliteView(
            name: satellite.name, state: satellite.state(now: now), groups: membership[satellite.name] ?? [],
            labels: satellite.labels, settings: satellite.settings, createdAt: Fleet.date(satellite.createdAt),
            registeredAt: satellite.registeredAt.map(Fleet.date),
            lastSeen: satellite.lastHeard(now: now).map(Fleet.date),
            desiredGeneration: generation, appliedGeneration: satellite.appliedGeneration,
            drift: Drift(
                behind: (satellite.appliedGeneration ?? -1) < generation, missing: Array(Set(missing)).sorted()),
            diskUsedBytes: satellite.report?.diskUsedBytes, diskFreeBytes: satellite.report?.diskFreeBytes,
            lastSync: satellite.report?.lastSync, version: satellite.report?.version)
        view.cachedManifests = satellite.report?.cached?.count
        view.site = satellite.site
        view.advertisedURL = satellite.advertisedURL
        view.awaitingApproval = satellite.approved || satellite.status == "revoked" ? nil : true
        view.transfer = satellite.report?.transfer
        view.link = satellite.report?.link
        view.meter = satellite.report?.meter
        view.demand = satellite.report?.demand
        let withheld = (membership[satellite.name] ?? []).compactMap { configuration.groups[$0] }.flatMap(\.heldBack)
        view.heldBack = withheld.isEmpty ? nil : withheld
        let robots = (robots[satellite.name] ?? []).map { robot in
            RobotView(
                registry: robot.registry, name: robot.name,
                expiresAt: robotExpiry[robot.name].flatMap { $0 > 0 ? Date(timeIntervalSince1970: Double($0)) : nil })
        }
        view.robots = robots.isEmpty ? nil : robots
        return view
    }
}
