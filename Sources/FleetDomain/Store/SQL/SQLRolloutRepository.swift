import FleetAPI
import Foundation

struct SQLRolloutRepository: RolloutRepository {
    static let columns = """
        id, group_name, state, policy, wave, baseline, baseline_revision, target_revision, progress, reason,
        supersedes, created_at, updated_at, version
        """

    let session: any FleetSession
    let dialect: SQLDialect

    func create(_ rollout: RolloutRecord) async throws -> RolloutRecord {
        let row = try await session.query(
            """
            INSERT INTO rollouts (group_name, state, policy, wave, baseline, baseline_revision, target_revision,
                progress, reason, supersedes, created_at, updated_at, version)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) RETURNING id
            """,
            .text(rollout.group), .text(rollout.state.rawValue), .text(rollout.policy.description),
            .integer(Int64(rollout.wave)), .text(try StoredJSON.encode(rollout.baseline)),
            .integer(rollout.baselineRevision), .integer(rollout.targetRevision),
            .text(try StoredJSON.encode(RolloutProgress(rollout))), .optional(rollout.reason),
            rollout.supersedes.map { .integer($0) } ?? .null, .integer(rollout.createdAt),
            .integer(rollout.updatedAt)
        ).first
        guard let row else { throw FleetStoreError.corrupt("rollouts: an insert returned no id") }
        var created = rollout
        created.id = try row.integer("id")
        created.version = 0
        return created
    }

    func named(_ id: Int64) async throws -> RolloutRecord? {
        try await session.query("SELECT \(Self.columns) FROM rollouts WHERE id = ?", .integer(id)).first.map(
            RolloutRecord.init)
    }

    func latest(of group: String) async throws -> RolloutRecord? {
        try await session.query(
            "SELECT \(Self.columns) FROM rollouts WHERE group_name = ? ORDER BY id DESC LIMIT 1", .text(group)
        ).first.map(RolloutRecord.init)
    }

    func inEffect() async throws -> [RolloutRecord] {
        let states = RolloutState.allCases.filter(\.inEffect).map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return try await session.query(
            """
            SELECT \(Self.columns) FROM rollouts WHERE state IN (\(states)) AND id IN (
                SELECT MAX(id) FROM rollouts GROUP BY group_name)
            """
        ).map(RolloutRecord.init)
    }

    func all(group: String?, limit: Int) async throws -> [RolloutRecord] {
        if let group {
            return try await session.query(
                "SELECT \(Self.columns) FROM rollouts WHERE group_name = ? ORDER BY id DESC LIMIT ?", .text(group),
                .integer(Int64(limit))
            ).map(RolloutRecord.init)
        }
        return try await session.query(
            "SELECT \(Self.columns) FROM rollouts ORDER BY id DESC LIMIT ?", .integer(Int64(limit))
        ).map(RolloutRecord.init)
    }

    func update(_ rollout: RolloutRecord, from version: Int64) async throws -> Bool {
        try await !session.query(
            """
            UPDATE rollouts SET state = ?, wave = ?, target_revision = ?, progress = ?, reason = ?, updated_at = ?,
                version = version + 1
            WHERE id = ? AND version = ? RETURNING id
            """,
            .text(rollout.state.rawValue), .integer(Int64(rollout.wave)), .integer(rollout.targetRevision),
            .text(try StoredJSON.encode(RolloutProgress(rollout))), .optional(rollout.reason),
            .integer(rollout.updatedAt), .integer(rollout.id), .integer(version)
        ).isEmpty
    }
}

extension SQLRolloutRepository {
    func gateRows(ofGroup group: String) async throws -> [RolloutGateRow] {
        // The few fields of the report and settings the gate reads, picked out by the database.
        func field(_ column: String, _ path: [String], text: Bool = true) -> String {
            switch dialect {
            case .sqlite: "json_extract(\(column), '$.\(path.joined(separator: "."))')"
            case .postgres:
                "(\(column)::json" + path.dropLast().map { "->'\($0)'" }.joined()
                    + "\(text ? "->>" : "->")'\(path.last ?? "")')"
            }
        }
        let failures =
            dialect == .sqlite
            ? "json_array_length(s.report, '$.lastSync.failures')"
            : "json_array_length(\(field("s.report", ["lastSync", "failures"], text: false)))"
        let rows = try await session.query(
            """
            SELECT s.name AS name, s.status AS status, s.last_seen AS last_seen, s.polling_until AS polling_until,
                s.registered_at AS registered_at,
                s.applied_generation AS applied_generation,
                \(field("s.settings", ["heartbeatIntervalSeconds"])) AS heartbeat_seconds,
                \(field("s.report", ["lastSync", "succeeded"])) AS sync_succeeded,
                \(field("s.report", ["lastSync", "finishedAt"])) AS sync_finished_at,
                \(failures) AS sync_failures
            FROM satellites s JOIN satellite_groups g ON g.satellite = s.name WHERE g.group_name = ?
            """,
            .text(group))
        return try rows.map { row in
            // SQLite gives JSON's true as 1, PostgreSQL's ->> as 'true'.
            let succeeded = try row.optionalText("sync_succeeded").map { $0 == "true" || $0 == "1" }
            let failures = try row.optionalInteger("sync_failures") ?? 0
            let failed = succeeded == false || failures > 0
            let finished = try row.optionalText("sync_finished_at").flatMap { try? Date($0, strategy: .iso8601) }
            return RolloutGateRow(
                name: try row.text("name"), status: try row.text("status"),
                lastSeen: try row.optionalInteger("last_seen"), pollingUntil: try row.optionalInteger("polling_until"),
                registeredAt: try row.optionalInteger("registered_at"),
                appliedGeneration: try row.optionalInteger("applied_generation"),
                heartbeatSeconds: Int(try row.optionalText("heartbeat_seconds").flatMap { Int($0) } ?? 30),
                failedSyncAt: failed && succeeded != nil ? finished.map(Fleet.milliseconds) : nil)
        }
    }
}

/// What of a rollout moves as it goes, kept as one JSON column.
struct RolloutProgress: Codable {
    let members: [RolloutMember]
    let waveRevisions: [Int64]
    let waveReachedAt: [Int64]
    let soakStartedAt: Int64?

    init(_ rollout: RolloutRecord) {
        members = rollout.members
        waveRevisions = rollout.waveRevisions
        waveReachedAt = rollout.waveReachedAt
        soakStartedAt = rollout.soakStartedAt
    }
}

extension RolloutRecord {
    init(_ row: SQLRow) throws {
        let policy: RolloutPolicy
        do { policy = try RolloutPolicy(try row.text("policy")) } catch {
            throw FleetStoreError.corrupt("rollouts.policy: \(error)")
        }
        guard let state = RolloutState(rawValue: try row.text("state")) else {
            throw FleetStoreError.corrupt("rollouts.state: '\(try row.text("state"))' is no state")
        }
        let progress = try StoredJSON.decode(RolloutProgress.self, try row.text("progress"))
        self.init(
            id: try row.integer("id"), group: try row.text("group_name"), state: state, policy: policy,
            wave: Int(try row.integer("wave")), members: progress.members,
            baseline: try StoredJSON.decode(GroupContent.self, try row.text("baseline")),
            baselineRevision: try row.integer("baseline_revision"), targetRevision: try row.integer("target_revision"),
            waveRevisions: progress.waveRevisions, waveReachedAt: progress.waveReachedAt,
            soakStartedAt: progress.soakStartedAt, reason: try row.optionalText("reason"),
            supersedes: try row.optionalInteger("supersedes"), createdAt: try row.integer("created_at"),
            updatedAt: try row.integer("updated_at"), version: try row.integer("version"))
    }
}
