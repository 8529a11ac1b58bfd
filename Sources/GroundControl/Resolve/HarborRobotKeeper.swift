import BackgroundWork
import Crypto
import FleetDomain
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps a robot account in each Harbor for each registered satellite whose groups use it:
/// created with pull on exactly the projects those groups name, widened or narrowed when they
/// change, refreshed before it expires (or when the satellite's credential is rotated), and
/// deleted when the satellite is revoked, deleted or leaves the groups.
///
/// Each satellite has two slots per Harbor. A refresh makes a fresh robot in the free slot and
/// hands it out in the state; the old one is deleted only once a heartbeat shows the satellite
/// took that state, so it never pulls with a dead secret. Secrets are never stored: each is
/// derived from the slot's epoch (`IssuedRobot.secret`) and set on the robot right after Harbor
/// made it (Harbor ignores a secret sent with the create and makes a random one).
///
/// Everything is worked out again from the database on each pass, so a Harbor that cannot be
/// reached only delays the work: the pass is retried, with backoff, until Harbor answers.
public final class HarborRobotKeeper: Service {
    private let fleet: Fleet
    private let interval: Duration
    private let logger: Logger
    private let metrics: GroundControlMetrics
    private let ready: @Sendable () async -> Void
    private let now: @Sendable () -> Date
    /// The signing key, read once: it never changes for a database.
    private let signingKey = Mutex<Data?>(nil)

    /// - Parameters:
    ///   - interval: how often a pass runs with nothing changed (expiry, heartbeats confirming).
    public init(
        fleet: Fleet, interval: Duration = .seconds(30), logger: Logger, metrics: GroundControlMetrics,
        ready: @escaping @Sendable () async -> Void = {},
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.fleet = fleet
        self.interval = interval
        self.logger = logger
        self.metrics = metrics
        self.ready = ready
        self.now = now
    }

    public func run() async throws {
        await ready()
        // Every second a look at the revision (another Ground Control may have changed the fleet);
        // a pass when it moved, when a failed pass is due again, and every `interval` for expiry
        // and heartbeats. A pass under way at shutdown is cut short: Harbor may answer slowly.
        let schedule = Mutex(PassSchedule(interval: interval))
        await PeriodicWork(every: .seconds(1)).runCancellingPass {
            let revision = try? await self.fleet.revision()
            let due = schedule.withLock { schedule in
                let now = ContinuousClock.now
                guard schedule.isDue(revision: revision, at: now) else { return false }
                schedule.passBegan(revision: revision, at: now)
                return true
            }
            guard due else { return }
            let succeeded = await self.pass()
            schedule.withLock { $0.passEnded(succeeded: succeeded) }
        }
    }

    /// Brings every satellite's robots in line once; returns whether every Harbor answered.
    @discardableResult
    public func pass() async -> Bool {
        let demand: RobotDemand
        let signingKey: Curve25519.Signing.PrivateKey
        do {
            demand = try await fleet.robots.demand()
            if let raw = self.signingKey.withLock({ $0 }),
                let known = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
            {
                signingKey = known
            } else {
                signingKey = try await fleet.signingKey()
                let raw = signingKey.rawRepresentation
                self.signingKey.withLock { $0 = raw }
            }
        } catch {
            logger.warning("harbor robots: cannot read the fleet", metadata: ["error": "\(error)"])
            return false
        }
        var clients: [String: HarborAPI] = [:]
        defer { for client in clients.values { Task { await client.shutdown() } } }
        var failed: Set<String> = []
        var missing: [String: Set<String>] = [:]
        var issued = false
        for pair in demand.pairs.sorted(by: { ($0.registry, $0.satellite) < ($1.registry, $1.satellite) })
        where !failed.contains(pair.registry) {
            guard let registry = demand.registries[pair.registry] else {
                logger.warning(
                    """
                    harbor robots: registry \(pair.registry) is gone; robots of \(pair.satellite) there cannot be \
                    deleted
                    """
                )
                continue
            }
            let harbor =
                clients[registry.name]
                ?? HarborAPI(
                    url: registry.url, username: registry.username ?? "", password: registry.password ?? "",
                    insecure: registry.insecure)
            clients[registry.name] = harbor
            do {
                if missing[registry.name] == nil {
                    // Once a pass: a project made in Harbor since is taken into robots from now on.
                    missing[registry.name] = try await Self.stillMissing(
                        demand.missingProjects[registry.name] ?? [], in: registry.name, harbor, fleet)
                }
                let work = RobotWork(
                    pair: pair, rows: demand.rows[pair] ?? [], projects: demand.projects[pair],
                    missing: missing[registry.name] ?? [],
                    applied: demand.appliedGeneration[pair.satellite] ?? 0, days: registry.robotDays,
                    harbor: harbor, fleet: fleet, signingKey: signingKey, metrics: metrics, now: now())
                let outcome = try await work.run()
                issued = outcome.issued || issued
                if !outcome.missing.isEmpty {
                    missing[registry.name, default: []].formUnion(outcome.missing)
                    logger.warning(
                        """
                        harbor robots: registry \(registry.name) has no project \
                        \(outcome.missing.sorted().joined(separator: ", ")); robots leave it out
                        """
                    )
                }
            } catch {
                // The rest of this Harbor waits for the retry; other Harbors go on.
                failed.insert(pair.registry)
                metrics.harborFailure(pair.registry)
                logger.warning(
                    "harbor robots: registry \(pair.registry), satellite \(pair.satellite): will retry",
                    metadata: ["error": "\(error)"])
            }
        }
        return failed.isEmpty
    }

    /// Of the projects recorded as missing from a Harbor, those it still lacks; the others are
    /// forgotten.
    private static func stillMissing(
        _ recorded: Set<String>, in registry: String, _ harbor: HarborAPI, _ fleet: Fleet
    ) async throws -> Set<String> {
        var still = Set<String>()
        for project in recorded.sorted() where try await !harbor.projectExists(project) { still.insert(project) }
        let found = recorded.subtracting(still)
        if !found.isEmpty { try await fleet.robots.forgetMissingProjects(found, in: registry) }
        return still
    }
}

/// One satellite's robots in one Harbor, brought in line.
private struct RobotWork {
    let pair: RobotDemand.Pair
    let rows: [RobotRow]
    /// nil: the satellite needs no robot here.
    let projects: [String]?
    /// Projects this Harbor does not have: left out of every robot.
    let missing: Set<String>
    let applied: Int64
    let days: Int
    let harbor: HarborAPI
    let fleet: Fleet
    let signingKey: Curve25519.Signing.PrivateKey
    let metrics: GroundControlMetrics
    let now: Date

    /// Whether a robot was handed out anew, and the projects Harbor was found to lack.
    func run() async throws -> (issued: Bool, missing: Set<String>) {
        var wanted = (projects ?? []).filter { !missing.contains($0) }
        do {
            return (try await bringInLine(wanted), [])
        } catch let failure as HarborAPI.Failure where failure.status == 404 {
            // A project Harbor lacks (`toScope`): one group's mistake must not hold up the
            // satellite's other projects, or the other satellites.
            var absent = Set<String>()
            for project in wanted where project != "*" {
                if try await !harbor.projectExists(project) { absent.insert(project) }
            }
            guard !absent.isEmpty else { throw failure }
            try await fleet.robots.recordMissingProjects(absent, in: pair.registry)
            wanted.removeAll { absent.contains($0) }
            return (try await bringInLine(wanted), absent)
        }
    }

    /// Returns whether a robot was handed out anew.
    private func bringInLine(_ projects: [String]) async throws -> Bool {
        guard !projects.isEmpty else {
            for row in rows { try await delete(row, reason: "the satellite no longer needs it") }
            return false
        }
        let issued = rows.filter { $0.issuedRevision != nil }.max {
            ($0.issuedRevision ?? 0) < ($1.issuedRevision ?? 0)
        }
        let others = rows.filter { $0.slot != issued?.slot }
        // A new robot when there is none, or to refresh; but not while the last refresh waits for
        // the satellite, which may still pull with the robot a second refresh would replace.
        if issued == nil || (others.isEmpty && (issued?.refreshRequested == true || isExpiring(issued))) {
            var row =
                others.first
                ?? RobotRow(registry: pair.registry, satellite: pair.satellite, slot: issued?.slot == "a" ? "b" : "a")
            row.epoch = (rows.map(\.epoch).max() ?? 0) + 1
            if others.isEmpty { try await fleet.robots.reserve(row) }
            try await put(&row, projects: projects, fresh: true)
            try await fleet.robots.save(row, issue: true)
            metrics.robotChange("issue")
            return true
        }
        guard var current = issued else { return false }
        if current.projects != projects {
            try await put(&current, projects: projects, fresh: false)
            try await fleet.robots.save(current)
            metrics.robotChange("update")
        }
        if let revision = current.issuedRevision, applied >= revision {
            for row in others {
                try await delete(row, reason: "replaced by \(current.loginName), which the satellite took")
            }
        }
        return false
    }

    private func isExpiring(_ row: RobotRow?) -> Bool {
        guard let expiresAt = row?.expiresAt, expiresAt > 0 else { return false }
        return now.timeIntervalSince1970 >= Double(expiresAt) - Double(days) * 86400 / 3
    }

    /// Makes Harbor hold the slot's robot with these permissions and its epoch's secret. `fresh`
    /// starts its life again (a robot's duration counts from its creation).
    private func put(_ row: inout RobotRow, projects: [String], fresh: Bool) async throws {
        let secret = IssuedRobot.secret(
            registry: row.registry, satellite: row.satellite, slot: row.slot, epoch: row.epoch, signingKey: signingKey)
        var spec = HarborAPI.RobotSpec(
            name: row.robotName,
            description: "Harbor Satellite \(row.satellite): pulls for its groups (managed by Ground Control)",
            duration: days, projects: projects)
        if fresh, let id = row.robotID {
            try await harbor.deleteRobot(id: id)
            row.robotID = nil
        }
        if let id = row.robotID, let shown = try await shownName(of: row),
            try await update(id: id, named: shown, &spec, into: &row)
        {
            row.projects = projects
            return
        }
        if let created = try await harbor.createRobot(spec) {
            try await take(created, secret: secret, into: &row)
        } else {
            // The name is taken: a robot made on an earlier pass whose row was never saved. Its
            // secret is unknown: a fresh robot replaces it; otherwise it is taken over, with
            // this epoch's secret.
            guard let existing = try await harbor.robot(named: row.robotName) else {
                throw HarborAPI.Failure(
                    status: 409, message: "Harbor says robot \(row.robotName) exists but does not list it")
            }
            if fresh {
                try await harbor.deleteRobot(id: existing.id)
                guard let created = try await harbor.createRobot(spec) else {
                    throw HarborAPI.Failure(
                        status: 409, message: "Harbor still has robot \(row.robotName) after deleting it")
                }
                try await take(created, secret: secret, into: &row)
            } else {
                _ = try await update(id: existing.id, named: existing.name, &spec, into: &row)
                try await harbor.setRobotSecret(id: existing.id, secret)
            }
        }
        row.projects = projects
    }

    /// A robot Harbor just made: its id and name as Harbor answered, and the slot's secret set
    /// on it (Harbor made a random one).
    private func take(_ created: HarborAPI.Robot, secret: String, into row: inout RobotRow) async throws {
        row.robotID = created.id
        row.harborName = created.name
        row.expiresAt = created.expiresAt
        try await harbor.setRobotSecret(id: created.id, secret)
    }

    /// `PUT` under the name Harbor shows, then its expiry as Harbor now has it (a new duration
    /// counts from the robot's creation). False when Harbor no longer has the robot.
    private func update(
        id: Int64, named shown: String, _ spec: inout HarborAPI.RobotSpec, into row: inout RobotRow
    ) async throws -> Bool {
        spec.name = shown
        guard try await harbor.updateRobot(id: id, spec), let current = try await harbor.robot(id: id) else {
            return false
        }
        row.robotID = id
        row.harborName = current.name
        row.expiresAt = current.expiresAt
        return true
    }

    /// The name Harbor shows the slot's robot by: recorded, or asked for (rows from before it was
    /// recorded). Nil when Harbor no longer has it.
    private func shownName(of row: RobotRow) async throws -> String? {
        if let known = row.harborName { return known }
        guard let id = row.robotID else { return nil }
        return try await harbor.robot(id: id)?.name
    }

    private func delete(_ row: RobotRow, reason: String) async throws {
        if let id = row.robotID {
            try await harbor.deleteRobot(id: id)
        } else if let found = try await harbor.robot(named: row.robotName) {
            try await harbor.deleteRobot(id: found.id)
        }
        try await fleet.robots.forget(row, reason: reason)
        metrics.robotChange("delete")
    }
}

/// When the robot keeper's next pass is due: after the fleet's revision moved, after `interval`,
/// or sooner after a failed pass (backing off from half a second up to `interval`).
package struct PassSchedule {
    package let interval: Duration
    private var seenRevision: Int64 = -1
    private var lastPass = ContinuousClock.now - .seconds(3600)
    private var retryDelay: Duration?

    package init(interval: Duration) {
        self.interval = interval
    }

    /// Whether a pass is due at `now` given the revision read (nil: unreadable, taken as
    /// unchanged).
    package func isDue(revision: Int64?, at now: ContinuousClock.Instant) -> Bool {
        (revision ?? seenRevision) != seenRevision || now >= lastPass + (retryDelay ?? interval)
    }

    package mutating func passBegan(revision: Int64?, at now: ContinuousClock.Instant) {
        seenRevision = revision ?? seenRevision
        lastPass = now
    }

    package mutating func passEnded(succeeded: Bool) {
        retryDelay = succeeded ? nil : min(interval, (retryDelay ?? .milliseconds(500)) * 2)
    }
}
