struct SQLRobotRepository: RobotRepository {
    static let columns =
        """
        registry, satellite, slot, robot_id, robot_name, epoch, projects, expires_at, issued_revision, \
        refresh_requested, harbor_name
        """

    let session: any FleetSession

    func all() async throws -> [RobotRow] {
        try await session.query("SELECT \(Self.columns) FROM harbor_robots ORDER BY slot").map(RobotRow.init)
    }

    func of(satellite: String) async throws -> [RobotRow] {
        try await session.query(
            "SELECT \(Self.columns) FROM harbor_robots WHERE satellite = ? ORDER BY registry, slot", .text(satellite)
        )
        .map(RobotRow.init)
    }

    func issued(to satellite: String?) async throws -> [RobotRow] {
        try await session.query(
            """
            SELECT \(Self.columns) FROM harbor_robots WHERE issued_revision IS NOT
                NULL\(satellite == nil ? "" : " AND satellite = ?")
            """,
            satellite.map { [.text($0)] } ?? []
        ).map(RobotRow.init)
    }

    func count(registry: String) async throws -> Int {
        Int(
            try await session.query("SELECT COUNT(*) AS robots FROM harbor_robots WHERE registry = ?", .text(registry))
                .first?.integer("robots") ?? 0)
    }

    func put(_ row: RobotRow) async throws {
        try await session.query(
            """
            INSERT INTO harbor_robots (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (registry, satellite, slot) DO UPDATE SET robot_id = excluded.robot_id, robot_name =
                excluded.robot_name,
                epoch = excluded.epoch, projects = excluded.projects, expires_at = excluded.expires_at,
                issued_revision = excluded.issued_revision, refresh_requested = excluded.refresh_requested,
                    harbor_name = excluded.harbor_name
            """,
            .text(row.registry), .text(row.satellite), .text(row.slot), row.robotID.map(SQLValue.integer) ?? .null,
            .text(row.robotName),
            .integer(row.epoch), .text(try StoredJSON.encode(row.projects)),
            row.expiresAt.map(SQLValue.integer) ?? .null,
            row.issuedRevision.map(SQLValue.integer) ?? .null, .bool(row.refreshRequested), .optional(row.harborName))
    }

    func delete(registry: String, satellite: String, slot: String) async throws {
        try await session.query(
            "DELETE FROM harbor_robots WHERE registry = ? AND satellite = ? AND slot = ?", .text(registry),
            .text(satellite), .text(slot))
    }

    func clearRefresh(registry: String, satellite: String) async throws {
        try await session.query(
            "UPDATE harbor_robots SET refresh_requested = 0 WHERE registry = ? AND satellite = ?", .text(registry),
            .text(satellite))
    }

    func requestRefresh(of satellite: String) async throws {
        try await session.query(
            "UPDATE harbor_robots SET refresh_requested = 1 WHERE satellite = ? AND issued_revision IS NOT NULL",
            .text(satellite))
    }

    func missingProjects() async throws -> [String: Set<String>] {
        var missing: [String: Set<String>] = [:]
        for row in try await session.query("SELECT registry, project FROM harbor_missing_projects") {
            missing[try row.text("registry"), default: []].insert(try row.text("project"))
        }
        return missing
    }

    func rememberMissing(_ projects: [String], in registry: String, at: Int64) async throws {
        for project in projects {
            try await session.query(
                """
                INSERT INTO harbor_missing_projects (registry, project, seen_at) VALUES (?, ?, ?) ON CONFLICT
                    (registry, project) DO NOTHING
                """,
                .text(registry), .text(project), .integer(at))
        }
    }

    func forgetMissing(_ projects: [String], in registry: String) async throws {
        for project in projects {
            try await session.query(
                "DELETE FROM harbor_missing_projects WHERE registry = ? AND project = ?", .text(registry),
                .text(project))
        }
    }
}

extension RobotRow {
    init(_ row: SQLRow) throws {
        self.init(
            registry: try row.text("registry"), satellite: try row.text("satellite"), slot: try row.text("slot"),
            robotID: try row.optionalInteger("robot_id"), robotName: try row.text("robot_name"),
            harborName: try row.optionalText("harbor_name"),
            epoch: try row.integer("epoch"), projects: try StoredJSON.decode([String].self, try row.text("projects")),
            expiresAt: try row.optionalInteger("expires_at"),
            issuedRevision: try row.optionalInteger("issued_revision"),
            refreshRequested: try row.bool("refresh_requested"))
    }
}
