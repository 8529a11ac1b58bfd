import Crypto
import Foundation
import OCI
import SatelliteProtocol

/// The Harbor robot a satellite's state names for one registry.
public struct IssuedRobot: Sendable, Equatable {
    public let registry: String
    public let satellite: String
    public let slot: String
    /// Harbor's full name, `robot$…`.
    public let name: String
    public let epoch: Int64
    /// The projects it may pull from, as Harbor has it now (`*` for all).
    public let projects: [String]

    func credential(signingKey: Curve25519.Signing.PrivateKey) -> RobotCredential {
        RobotCredential(
            username: name, password: Self.secret(registry: registry, satellite: satellite, slot: slot, epoch: epoch, signingKey: signingKey),
            projects: projects)
    }

    /// A robot's secret: an HMAC under a key derived from Ground Control's signing key, so no
    /// secret is stored and every Ground Control process derives the same. The fixed start meets
    /// Harbor's rule for secrets (an upper-case letter, a lower-case letter and a digit).
    static func secret(registry: String, satellite: String, slot: String, epoch: Int64, signingKey: Curve25519.Signing.PrivateKey) -> String {
        let key = SymmetricKey(data: SHA256.hash(data: Data("harbor-satellite robot secrets v1".utf8) + signingKey.rawRepresentation))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(registry)|\(satellite)|\(slot)|\(epoch)".utf8), using: key)
        return "Hs1" + Data(mac).base64URL
    }

    /// The name Ground Control gives a satellite's robot in one slot (Harbor prefixes `robot$`):
    /// lower-case letters and digits joined by single separators, as Harbor requires. A name that
    /// had to be changed to fit gets a hash of the original, so two never meet.
    static func robotName(registry: String, satellite: String, slot: String) -> String {
        func fitted(_ name: String) -> String {
            var out = ""
            for character in name {
                if character.isASCII && (character.isLowercase || character.isNumber) {
                    out.append(character)
                } else if let last = out.last, last != "-" {
                    out.append("-")
                }
            }
            while out.last == "-" { out.removeLast() }
            return out.isEmpty ? "x" : out
        }
        var name = "satellite.\(fitted(registry)).\(fitted(satellite))"
        if fitted(registry) != registry || fitted(satellite) != satellite {
            name += "-" + SHA256.hash(data: Data("\(registry)|\(satellite)".utf8)).prefix(4).lowercaseHex
        }
        return "\(name).\(slot)"
    }
}

/// What a satellite pulls from a Harbor with, and where it may.
struct RobotCredential: Sendable, Equatable {
    let username: String
    let password: String
    let projects: [String]

    func mayPull(_ project: String) -> Bool { projects.contains("*") || projects.contains(project) }
}

/// One slot of a satellite's robots in one Harbor, as Ground Control last left it.
struct RobotRow: Sendable, Equatable {
    static let columns = "registry, satellite, slot, robot_id, robot_name, epoch, projects, expires_at, issued_revision, refresh_requested, harbor_name"

    var registry: String
    var satellite: String
    var slot: String
    /// Harbor's id; nil until Harbor has answered the create.
    var robotID: Int64?
    /// The name asked for (without Harbor's prefix).
    var robotName: String
    /// The name Harbor shows and takes it by (its `robot_name_prefix` setting, `robot$` unless
    /// changed, before `robotName`), as Harbor answered; nil until known.
    var harborName: String?
    var epoch: Int64
    /// The projects its permissions cover, sorted (`*` for all).
    var projects: [String]
    /// Unix seconds; nil or -1 for never.
    var expiresAt: Int64?
    /// The fleet revision at which the state began to name it; nil while it is not handed out.
    var issuedRevision: Int64?
    var refreshRequested: Bool

    init(registry: String, satellite: String, slot: String) {
        self.registry = registry
        self.satellite = satellite
        self.slot = slot
        robotName = IssuedRobot.robotName(registry: registry, satellite: satellite, slot: slot)
        epoch = 0
        projects = []
        refreshRequested = false
    }

    init(_ row: SQLRow) throws {
        registry = try row.text("registry")
        satellite = try row.text("satellite")
        slot = try row.text("slot")
        robotID = try row.optionalInteger("robot_id")
        robotName = try row.text("robot_name")
        epoch = try row.integer("epoch")
        projects = try Fleet.decode([String].self, try row.text("projects"))
        expiresAt = try row.optionalInteger("expires_at")
        issuedRevision = try row.optionalInteger("issued_revision")
        refreshRequested = try row.bool("refresh_requested")
        harborName = try row.optionalText("harbor_name")
    }

    /// The name the satellite logs in with: Harbor's, or the default prefix's for rows from
    /// before Harbor's was recorded.
    var loginName: String { harborName ?? "robot$" + robotName }
}

/// What the robot keeper works from: each registered satellite's need of each Harbor, the rows
/// as they are, and how far each satellite has applied its state.
struct RobotDemand: Sendable {
    struct Pair: Hashable, Sendable {
        let registry: String
        let satellite: String
    }

    /// Every registry, since a robot made in a Harbor whose kind was changed since must still be deleted.
    let registries: [String: RegistryRecord]
    /// The projects each pair's robot must pull from; a pair absent needs no robot.
    let projects: [Pair: [String]]
    let rows: [Pair: [RobotRow]]
    let appliedGeneration: [String: Int64]
    /// Projects each Harbor was found not to have, by registry.
    var missingProjects: [String: Set<String>] = [:]

    var pairs: Set<Pair> { Set(projects.keys).union(rows.keys) }
}

extension Fleet {
    /// The robots the satellite's state hands out, read in `session`: per registry, the slot
    /// issued last.
    static func issuedRobots(of satellite: String, _ session: FleetRecords) async throws -> [IssuedRobot] {
        issuedRobots(among: try await session.query(
            "SELECT \(RobotRow.columns) FROM harbor_robots WHERE satellite = ? AND issued_revision IS NOT NULL", .text(satellite)
        ).map(RobotRow.init))
    }

    /// Of one satellite's slots, the one issued last in each registry.
    static func issuedRobots(among rows: [RobotRow]) -> [IssuedRobot] {
        var latest: [String: RobotRow] = [:]
        for row in rows where (latest[row.registry]?.issuedRevision ?? -1) < (row.issuedRevision ?? -1) {
            latest[row.registry] = row
        }
        return latest.values.sorted { $0.registry < $1.registry }.map {
            IssuedRobot(
                registry: $0.registry, satellite: $0.satellite, slot: $0.slot, name: $0.loginName, epoch: $0.epoch, projects: $0.projects)
        }
    }

    /// Everything the robot keeper needs, in one read.
    func robotDemand() async throws -> RobotDemand {
        try await store.read { session in
            let configuration = try await FleetConfiguration.load(session)
            let harbors = configuration.registries.filter { $0.value.isHarbor }
            var rows: [RobotDemand.Pair: [RobotRow]] = [:]
            for row in try await session.query("SELECT \(RobotRow.columns) FROM harbor_robots ORDER BY slot").map(RobotRow.init) {
                rows[RobotDemand.Pair(registry: row.registry, satellite: row.satellite), default: []].append(row)
            }
            // No Harbor and no robot: nothing to read the whole fleet for (a pass follows every change).
            guard !harbors.isEmpty || !rows.isEmpty else {
                return RobotDemand(registries: configuration.registries, projects: [:], rows: [:], appliedGeneration: [:])
            }
            var projects: [RobotDemand.Pair: Set<String>] = [:]
            var applied: [String: Int64] = [:]
            for row in try await session.query(
                """
                SELECT s.name AS name, s.applied_generation AS applied_generation, m.group_name AS group_name
                FROM satellites s JOIN satellite_groups m ON m.satellite = s.name WHERE s.status = 'registered'
                """
            ) {
                let satellite = try row.text("name")
                applied[satellite] = try row.optionalInteger("applied_generation") ?? 0
                guard let group = configuration.groups[try row.text("group_name")], harbors[group.registry] != nil else { continue }
                projects[RobotDemand.Pair(registry: group.registry, satellite: satellite), default: []].formUnion(group.harborProjects)
            }
            return RobotDemand(
                registries: configuration.registries,
                projects: projects.filter { !$0.value.isEmpty }.mapValues { $0.contains("*") ? ["*"] : $0.sorted() },
                rows: rows, appliedGeneration: applied, missingProjects: try await session.robots.missingProjects())
        }
    }

    /// Remembers projects a Harbor does not have (a group names them): robots leave them out and
    /// the groups say so.
    func recordMissingProjects(_ projects: Set<String>, in registry: String) async throws {
        try await store.transaction { session in
            for project in projects.sorted() {
                try await session.query(
                    "INSERT INTO harbor_missing_projects (registry, project, seen_at) VALUES (?, ?, ?) ON CONFLICT (registry, project) DO NOTHING",
                    .text(registry), .text(project), .integer(Self.milliseconds(now())))
            }
            try await audit(session, .groundControl, "registry.project.missing", registry, projects.sorted().joined(separator: ", "))
        }
    }

    /// Forgets projects a Harbor has since made.
    func forgetMissingProjects(_ projects: Set<String>, in registry: String) async throws {
        try await store.transaction { session in
            for project in projects.sorted() {
                try await session.query("DELETE FROM harbor_missing_projects WHERE registry = ? AND project = ?", .text(registry), .text(project))
            }
        }
    }

    /// Records a slot as Harbor now has it, and moves the satellite's revision on: its state
    /// names the robot, and only what the robot may pull. With `issue`, the state names this slot
    /// from now, and the slot remembers that revision, so a heartbeat at or past it confirms the
    /// satellite took it.
    func saveRobot(_ row: RobotRow, issue: Bool = false) async throws {
        try await store.transaction { session in
            var row = row
            let revision = try await nextRevision(session)
            try await session.query("UPDATE satellites SET revision = ? WHERE name = ?", .integer(revision), .text(row.satellite))
            if issue {
                row.issuedRevision = revision
                row.refreshRequested = false
                // The slot handed out before: its refresh is done.
                try await session.query(
                    "UPDATE harbor_robots SET refresh_requested = 0 WHERE registry = ? AND satellite = ?", .text(row.registry), .text(row.satellite))
                try await audit(session, .groundControl, "robot.issue", row.satellite, "registry \(row.registry), \(row.loginName)")
            } else {
                try await audit(
                    session, .groundControl, "robot.update", row.satellite,
                    "registry \(row.registry), \(row.loginName): pull on \(row.projects.joined(separator: ", "))")
            }
            try await session.query(
                """
                INSERT INTO harbor_robots (\(RobotRow.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (registry, satellite, slot) DO UPDATE SET robot_id = excluded.robot_id, robot_name = excluded.robot_name,
                    epoch = excluded.epoch, projects = excluded.projects, expires_at = excluded.expires_at,
                    issued_revision = excluded.issued_revision, refresh_requested = excluded.refresh_requested, harbor_name = excluded.harbor_name
                """,
                .text(row.registry), .text(row.satellite), .text(row.slot), row.robotID.map(SQLValue.integer) ?? .null, .text(row.robotName),
                .integer(row.epoch), .text(try Self.json(row.projects)), row.expiresAt.map(SQLValue.integer) ?? .null,
                row.issuedRevision.map(SQLValue.integer) ?? .null, .bool(row.refreshRequested), .optional(row.harborName))
        }
    }

    /// Forgets a slot whose robot Harbor no longer has.
    func forgetRobot(_ row: RobotRow, reason: String) async throws {
        try await store.transaction { session in
            try await session.query(
                "DELETE FROM harbor_robots WHERE registry = ? AND satellite = ? AND slot = ?", .text(row.registry), .text(row.satellite), .text(row.slot))
            try await audit(session, .groundControl, "robot.delete", row.satellite, "registry \(row.registry), \(row.loginName): \(reason)")
        }
    }

    /// Asks for new robot secrets for the satellite (with its credential rotation).
    static func requestRobotRefresh(of satellite: String, _ session: FleetRecords) async throws {
        try await session.query(
            "UPDATE harbor_robots SET refresh_requested = 1 WHERE satellite = ? AND issued_revision IS NOT NULL", .text(satellite))
    }

    /// The robots Ground Control keeps for a satellite, for its view.
    func robots(of satellite: String) async throws -> [RobotRow] {
        try await store.read { session in
            try await session.query("SELECT \(RobotRow.columns) FROM harbor_robots WHERE satellite = ? ORDER BY registry, slot", .text(satellite))
                .map(RobotRow.init)
        }
    }
}

extension GroupRecord {
    /// The Harbor projects the group's satellites must pull from: its entries' projects and its
    /// pull-through rules' first components (`*` when that is a wildcard: every project).
    var harborProjects: Set<String> {
        var projects = Set(artifacts.map(\.harborProject))
        // A pattern with no `/` names no repository a Harbor can hold (all are inside a project).
        for pattern in proxy?.repositories ?? [] where pattern.value.contains("/") {
            let first = pattern.value.prefix { $0 != "/" }
            projects.insert(first.contains("*") ? "*" : String(first))
        }
        return projects
    }
}
