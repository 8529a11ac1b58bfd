import Crypto
import FleetAPI
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
            username: name,
            password: Self.secret(
                registry: registry, satellite: satellite, slot: slot, epoch: epoch, signingKey: signingKey),
            projects: projects)
    }

    /// A robot's secret: an HMAC under a key derived from Ground Control's signing key, so no
    /// secret is stored and every Ground Control process derives the same. The fixed start meets
    /// Harbor's rule for secrets (an upper-case letter, a lower-case letter and a digit).
    package static func secret(
        registry: String, satellite: String, slot: String, epoch: Int64, signingKey: Curve25519.Signing.PrivateKey
    ) -> String {
        let key = SymmetricKey(
            data: SHA256.hash(data: Data("harbor-satellite robot secrets v1".utf8) + signingKey.rawRepresentation))
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("\(registry)|\(satellite)|\(slot)|\(epoch)".utf8), using: key)
        return "Hs1" + Data(mac).base64URL
    }

    /// The name Ground Control gives a satellite's robot in one slot (Harbor prefixes `robot$`):
    /// lower-case letters and digits joined by single separators, as Harbor requires. A name that
    /// had to be changed to fit gets a hash of the original, so two never meet.
    package static func robotName(registry: String, satellite: String, slot: String) -> String {
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
package struct RobotCredential: Sendable, Equatable {
    let username: String
    let password: String
    package let projects: [String]

    func mayPull(_ project: String) -> Bool { projects.contains("*") || projects.contains(project) }
}

extension RobotRow {
    /// A new slot, not yet in Harbor.
    package init(registry: String, satellite: String, slot: String) {
        self.init(
            registry: registry, satellite: satellite, slot: slot, robotID: nil,
            robotName: IssuedRobot.robotName(registry: registry, satellite: satellite, slot: slot), harborName: nil,
            epoch: 0,
            projects: [], expiresAt: nil, issuedRevision: nil, refreshRequested: false)
    }
}

/// What the robot keeper works from: each registered satellite's need of each Harbor, the rows
/// as they are, and how far each satellite has applied its state.
package struct RobotDemand: Sendable {
    package struct Pair: Hashable, Sendable {
        package let registry: String
        package let satellite: String
    }

    /// Every registry, since a robot made in a Harbor whose kind was changed since must still be deleted.
    package let registries: [String: RegistryRecord]
    /// The projects each pair's robot must pull from; a pair absent needs no robot.
    package let projects: [Pair: [String]]
    package let rows: [Pair: [RobotRow]]
    package let appliedGeneration: [String: Int64]
    /// Projects each Harbor was found not to have, by registry.
    package var missingProjects: [String: Set<String>] = [:]

    package var pairs: Set<Pair> { Set(projects.keys).union(rows.keys) }
}

extension RobotService {
    /// The robots the satellite's state hands out, read in `session`: per registry, the slot
    /// issued last.
    static func issuedRobots(of satellite: String, _ records: FleetRecords) async throws -> [IssuedRobot] {
        issuedRobots(among: try await records.robots.issued(to: satellite))
    }

    /// Of one satellite's slots, the one issued last in each registry.
    static func issuedRobots(among rows: [RobotRow]) -> [IssuedRobot] {
        var latest: [String: RobotRow] = [:]
        for row in rows where (latest[row.registry]?.issuedRevision ?? -1) < (row.issuedRevision ?? -1) {
            latest[row.registry] = row
        }
        return latest.values.sorted { $0.registry < $1.registry }.map {
            IssuedRobot(
                registry: $0.registry, satellite: $0.satellite, slot: $0.slot, name: $0.loginName, epoch: $0.epoch,
                projects: $0.projects)
        }
    }

    /// Everything the robot keeper needs, in one read.
    package func demand() async throws -> RobotDemand {
        try await store.read { records in
            let configuration = try await FleetConfiguration.load(records)
            let harbors = configuration.registries.filter { $0.value.isHarbor }
            var rows: [RobotDemand.Pair: [RobotRow]] = [:]
            for row in try await records.robots.all() {
                rows[RobotDemand.Pair(registry: row.registry, satellite: row.satellite), default: []].append(row)
            }
            // No Harbor and no robot: nothing to read the whole fleet for (a pass follows every change).
            guard !harbors.isEmpty || !rows.isEmpty else {
                return RobotDemand(
                    registries: configuration.registries, projects: [:], rows: [:], appliedGeneration: [:])
            }
            var projects: [RobotDemand.Pair: Set<String>] = [:]
            var applied: [String: Int64] = [:]
            let memberships = try await records.satellites.groups(of: nil)
            for satellite in try await records.satellites.registered() {
                let groups = memberships[satellite.name] ?? []
                guard !groups.isEmpty else { continue }
                applied[satellite.name] = satellite.appliedGeneration ?? 0
                for group in groups.compactMap({ configuration.groups[$0] }) where harbors[group.registry] != nil {
                    projects[RobotDemand.Pair(registry: group.registry, satellite: satellite.name), default: []]
                        .formUnion(group.harborProjects)
                }
            }
            return RobotDemand(
                registries: configuration.registries,
                projects: projects.filter { !$0.value.isEmpty }.mapValues { $0.contains("*") ? ["*"] : $0.sorted() },
                rows: rows, appliedGeneration: applied, missingProjects: try await records.robots.missingProjects())
        }
    }

    /// Remembers projects a Harbor does not have (a group names them): robots leave them out and
    /// the groups say so.
    package func recordMissingProjects(_ projects: Set<String>, in registry: String) async throws {
        let at = Self.milliseconds(now())
        try await change(by: .groundControl) { changes in
            try await changes.records.robots.rememberMissing(projects.sorted(), in: registry, at: at)
            changes.audit("registry.project.missing", registry, projects.sorted().joined(separator: ", "))
        }
    }

    /// Forgets projects a Harbor has since made.
    package func forgetMissingProjects(_ projects: Set<String>, in registry: String) async throws {
        try await store.transaction { records in try await records.robots.forgetMissing(projects.sorted(), in: registry)
        }
    }

    /// Records a slot as Harbor now has it, and moves the satellite's revision on: its state
    /// names the robot, and only what the robot may pull. With `issue`, the state names this slot
    /// from now, and the slot remembers that revision, so a heartbeat at or past it confirms the
    /// satellite took it.
    package func save(_ row: RobotRow, issue: Bool = false) async throws {
        try await change(by: .groundControl) { changes in
            var row = row
            try await changes.touch(satellite: row.satellite)
            if issue {
                row.issuedRevision = try await changes.revision()
                row.refreshRequested = false
                // The slot handed out before: its refresh is done.
                try await changes.records.robots.clearRefresh(registry: row.registry, satellite: row.satellite)
                changes.audit("robot.issue", row.satellite, "registry \(row.registry), \(row.loginName)")
            } else {
                changes.audit(
                    "robot.update", row.satellite,
                    "registry \(row.registry), \(row.loginName): pull on \(row.projects.joined(separator: ", "))")
            }
            try await changes.records.robots.put(row)
        }
    }

    /// Records a slot before its robot is made in Harbor, not handed out: a process killed after
    /// Harbor made the robot and before it was recorded leaves a row the next pass finds, so the
    /// robot is taken over by name or, for a satellite that no longer needs it, deleted.
    package func reserve(_ row: RobotRow) async throws {
        try await store.transaction { records in try await records.robots.put(row) }
    }

    /// Forgets a slot whose robot Harbor no longer has.
    package func forget(_ row: RobotRow, reason: String) async throws {
        try await change(by: .groundControl) { changes in
            try await changes.records.robots.delete(registry: row.registry, satellite: row.satellite, slot: row.slot)
            changes.audit("robot.delete", row.satellite, "registry \(row.registry), \(row.loginName): \(reason)")
        }
    }

    /// The robots Ground Control keeps for a satellite, for its view.
    func issued(of satellite: String) async throws -> [RobotRow] {
        try await store.read { records in try await records.robots.of(satellite: satellite) }
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
