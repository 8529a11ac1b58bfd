import FleetAPI
import SatelliteProtocol

struct SQLGroupRepository: GroupRepository {
    static let columns = """
        name, registry, artifacts, proxy, revision, updated_at, scan_gate, verification, rollout, sync_windows
        """

    let session: any FleetSession

    func named(_ name: String) async throws -> GroupRecord? {
        try await session.query("SELECT \(Self.columns) FROM image_groups WHERE name = ?", .text(name)).first.map(
            GroupRecord.init)
    }

    func all() async throws -> [GroupRecord] {
        try await session.query("SELECT \(Self.columns) FROM image_groups ORDER BY name").map(GroupRecord.init)
    }

    func put(_ group: GroupRecord) async throws {
        try await session.query(
            """
            INSERT INTO image_groups (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET registry = excluded.registry, artifacts = excluded.artifacts,
                proxy = excluded.proxy, revision = excluded.revision, updated_at = excluded.updated_at,
                scan_gate = excluded.scan_gate, verification = excluded.verification, rollout = excluded.rollout,
                sync_windows = excluded.sync_windows
            """,
            .text(group.name), .text(group.registry), .text(try StoredJSON.encode(group.artifacts)),
            try StoredJSON.column(group.proxy),
            .integer(group.revision), .integer(group.updatedAt), try StoredJSON.column(group.scanGate),
            try StoredJSON.column(group.verification), .optional(group.rollout?.description),
            try StoredJSON.column(group.syncWindows))
    }

    func delete(_ name: String) async throws -> Bool {
        try await !session.query("DELETE FROM image_groups WHERE name = ? RETURNING name", .text(name)).isEmpty
    }

    func setArtifacts(_ artifacts: [GroupArtifact], revision: Int64, of name: String) async throws {
        try await session.query(
            "UPDATE image_groups SET artifacts = ?, revision = ? WHERE name = ?",
            .text(try StoredJSON.encode(artifacts)), .integer(revision), .text(name))
    }

    func names(usingRegistry registry: String) async throws -> [String] {
        try await session.query("SELECT name FROM image_groups WHERE registry = ? ORDER BY name", .text(registry)).map {
            try $0.text("name")
        }
    }

    func proxyVerifications(registry: String, excluding excluded: String) async throws -> [DesiredState.Verification] {
        try await session.query(
            """
            SELECT verification FROM image_groups WHERE registry = ? AND name <> ? AND proxy IS NOT NULL AND
                verification IS NOT NULL
            """,
            .text(registry), .text(excluded)
        ).map { try StoredJSON.decode(DesiredState.Verification.self, try $0.text("verification")) }
    }
}

extension GroupRecord {
    init(_ row: SQLRow) throws {
        self.init(
            name: try row.text("name"), registry: try row.text("registry"),
            artifacts: try StoredJSON.decode([GroupArtifact].self, try row.text("artifacts")),
            proxy: try row.optionalText("proxy").map { try StoredJSON.decode(GroupProxy.self, $0) },
            scanGate: try row.optionalText("scan_gate").map { try StoredJSON.decode(ScanGate.self, $0) },
            verification: try row.optionalText("verification").map {
                try StoredJSON.decode(DesiredState.Verification.self, $0)
            },
            revision: try row.integer("revision"), updatedAt: try row.integer("updated_at"),
            rollout: try row.optionalText("rollout").map { raw in
                do { return try RolloutPolicy(raw) } catch {
                    throw FleetStoreError.corrupt("image_groups.rollout: \(error)")
                }
            },
            syncWindows: try row.optionalText("sync_windows").map { try StoredJSON.decode([String].self, $0) })
    }
}
