import Crypto
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
/// derived from the slot's epoch (`IssuedRobot.secret`) and set on the robot at creation.
///
/// Everything is worked out again from the database on each pass, so a Harbor that cannot be
/// reached only delays the work: the pass is retried, with backoff, until Harbor answers.
public final class HarborRobotKeeper: Service {
    private let fleet: Fleet
    private let interval: Duration
    private let logger: Logger
    private let metrics: GroundControlMetrics
    private let ready: @Sendable () async -> Void
    private let onChange: @Sendable () async -> Void
    private let now: @Sendable () -> Date
    /// The signing key, read once: it never changes for a database.
    private let signingKey = Mutex<Data?>(nil)

    /// - Parameters:
    ///   - interval: how often a pass runs with nothing changed (expiry, heartbeats confirming).
    ///   - onChange: called after a pass handed out a robot (the watcher polls at once).
    public init(
        fleet: Fleet, interval: Duration = .seconds(30), logger: Logger, metrics: GroundControlMetrics,
        ready: @escaping @Sendable () async -> Void = {}, onChange: @escaping @Sendable () async -> Void = {},
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.fleet = fleet
        self.interval = interval
        self.logger = logger
        self.metrics = metrics
        self.ready = ready
        self.onChange = onChange
        self.now = now
    }

    public func run() async throws {
        await ready()
        await cancelWhenGracefulShutdown {
            var seenRevision: Int64 = -1
            var lastPass = ContinuousClock.now - .seconds(3600)
            var retryDelay: Duration?
            while !Task.isCancelled {
                // A pass when the fleet changed (a satellite joined a group, was revoked, …),
                // when a failed pass is due again, and every `interval` for expiry and heartbeats.
                let revision = (try? await self.fleet.revision()) ?? seenRevision
                let due = lastPass + (retryDelay ?? self.interval)
                if revision != seenRevision || ContinuousClock.now >= due {
                    seenRevision = revision
                    lastPass = .now
                    let succeeded = await self.pass()
                    retryDelay = succeeded ? nil : min(self.interval, (retryDelay ?? .milliseconds(500)) * 2)
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Brings every satellite's robots in line once; returns whether every Harbor answered.
    @discardableResult
    public func pass() async -> Bool {
        let demand: RobotDemand
        let signingKey: Curve25519.Signing.PrivateKey
        do {
            demand = try await fleet.robotDemand()
            if let raw = self.signingKey.withLock({ $0 }), let known = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) {
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
        var issued = false
        for pair in demand.pairs.sorted(by: { ($0.registry, $0.satellite) < ($1.registry, $1.satellite) }) where !failed.contains(pair.registry) {
            guard let registry = demand.registries[pair.registry] else {
                logger.warning("harbor robots: registry \(pair.registry) is gone; robots of \(pair.satellite) there cannot be deleted")
                continue
            }
            let harbor = clients[registry.name] ?? HarborAPI(
                url: registry.url, username: registry.username ?? "", password: registry.password ?? "", insecure: registry.insecure)
            clients[registry.name] = harbor
            let work = RobotWork(
                pair: pair, rows: demand.rows[pair] ?? [], projects: demand.projects[pair],
                applied: demand.appliedGeneration[pair.satellite] ?? 0, days: registry.robotDurationDays,
                harbor: harbor, fleet: fleet, signingKey: signingKey, metrics: metrics, now: now())
            do {
                issued = try await work.run() || issued
            } catch {
                // The rest of this Harbor waits for the retry; other Harbors go on.
                failed.insert(pair.registry)
                metrics.harborFailure(pair.registry)
                logger.warning("harbor robots: registry \(pair.registry), satellite \(pair.satellite): will retry", metadata: ["error": "\(error)"])
            }
        }
        if issued { await onChange() }
        return failed.isEmpty
    }
}

/// One satellite's robots in one Harbor, brought in line.
private struct RobotWork {
    let pair: RobotDemand.Pair
    let rows: [RobotRow]
    /// nil: the satellite needs no robot here.
    let projects: [String]?
    let applied: Int64
    let days: Int
    let harbor: HarborAPI
    let fleet: Fleet
    let signingKey: Curve25519.Signing.PrivateKey
    let metrics: GroundControlMetrics
    let now: Date

    /// Returns whether a robot was handed out anew.
    func run() async throws -> Bool {
        guard let projects else {
            for row in rows { try await delete(row, reason: "the satellite no longer needs it") }
            return false
        }
        let issued = rows.filter { $0.issuedRevision != nil }.max { ($0.issuedRevision ?? 0) < ($1.issuedRevision ?? 0) }
        let others = rows.filter { $0.slot != issued?.slot }
        // A new robot when there is none, or to refresh; but not while the last refresh waits for
        // the satellite, which may still pull with the robot a second refresh would replace.
        if issued == nil || (others.isEmpty && (issued?.refreshRequested == true || isExpiring(issued))) {
            var row = others.first ?? RobotRow(registry: pair.registry, satellite: pair.satellite, slot: issued?.slot == "a" ? "b" : "a")
            row.epoch = (rows.map(\.epoch).max() ?? 0) + 1
            try await put(&row, projects: projects, fresh: true)
            try await fleet.saveRobot(row, issue: true)
            metrics.robotChange("issue")
            return true
        }
        guard var current = issued else { return false }
        if current.projects != projects {
            try await put(&current, projects: projects, fresh: false)
            try await fleet.saveRobot(current)
            metrics.robotChange("update")
        }
        if let revision = current.issuedRevision, applied >= revision {
            for row in others { try await delete(row, reason: "replaced by robot$\(current.robotName), which the satellite took") }
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
        let secret = IssuedRobot.secret(registry: row.registry, satellite: row.satellite, slot: row.slot, epoch: row.epoch, signingKey: signingKey)
        let spec = HarborAPI.RobotSpec(
            name: row.robotName, description: "Harbor Satellite \(row.satellite): pulls for its groups (managed by Ground Control)",
            duration: days, projects: projects, secret: secret)
        if fresh, let id = row.robotID {
            try await harbor.deleteRobot(id: id)
            row.robotID = nil
        }
        if let id = row.robotID, try await harbor.updateRobot(id: id, spec) {
            row.projects = projects
            return
        }
        if let created = try await harbor.createRobot(spec) {
            row.robotID = created.id
            row.expiresAt = created.expiresAt
        } else {
            // The name is taken: a robot made on an earlier pass whose row was never saved.
            // Take it over, with this epoch's secret.
            guard let existing = try await harbor.robot(named: row.robotName) else {
                throw HarborAPI.Failure(status: 409, message: "Harbor says robot \(row.robotName) exists but does not list it")
            }
            if fresh {
                try await harbor.deleteRobot(id: existing.id)
                guard let created = try await harbor.createRobot(spec) else {
                    throw HarborAPI.Failure(status: 409, message: "Harbor still has robot \(row.robotName) after deleting it")
                }
                row.robotID = created.id
                row.expiresAt = created.expiresAt
            } else {
                _ = try await harbor.updateRobot(id: existing.id, spec)
                try await harbor.setRobotSecret(id: existing.id, secret)
                row.robotID = existing.id
                row.expiresAt = existing.expiresAt
            }
        }
        row.projects = projects
    }

    private func delete(_ row: RobotRow, reason: String) async throws {
        if let id = row.robotID {
            try await harbor.deleteRobot(id: id)
        } else if let found = try await harbor.robot(named: row.robotName) {
            try await harbor.deleteRobot(id: found.id)
        }
        try await fleet.forgetRobot(row, reason: reason)
        metrics.robotChange("delete")
    }
}
