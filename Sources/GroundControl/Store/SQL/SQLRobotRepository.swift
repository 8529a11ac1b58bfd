struct SQLRobotRepository: RobotRepository {
    let session: any FleetSession

    func count(registry: String) async throws -> Int {
        Int(try await session.query("SELECT COUNT(*) AS robots FROM harbor_robots WHERE registry = ?", .text(registry)).first?.integer("robots") ?? 0)
    }

    func missingProjects() async throws -> [String: Set<String>] {
        var missing: [String: Set<String>] = [:]
        for row in try await session.query("SELECT registry, project FROM harbor_missing_projects") {
            missing[try row.text("registry"), default: []].insert(try row.text("project"))
        }
        return missing
    }
}
