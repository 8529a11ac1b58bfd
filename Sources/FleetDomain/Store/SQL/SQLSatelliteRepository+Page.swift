/// Pages of the fleet worked out by the database: the state each satellite is in now, filters,
/// order and count, so that a page of 100,000 satellites reads one page of rows.
extension SQLSatelliteRepository {
    func page(_ query: SatelliteQuery, now: Int64) async throws -> (names: [String], total: Int) {
        var conditions: [String] = []
        var values: [SQLValue] = []
        if let part = query.nameContains, !part.isEmpty {
            conditions.append("LOWER(s.name) LIKE ? ESCAPE '\\'")
            values.append(.text("%" + Self.escapedForLike(part.lowercased()) + "%"))
        }
        if let state = query.state {
            conditions.append("\(stateExpression(now: now)) = ?")
            values.append(.text(state))
        }
        if let group = query.group {
            conditions.append(
                "EXISTS (SELECT 1 FROM satellite_groups g WHERE g.satellite = s.name AND g.group_name = ?)")
            values.append(.text(group))
        }
        if let site = query.site {
            conditions.append("s.site = ?")
            values.append(.text(site))
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let total =
            try await session.query("SELECT COUNT(*) AS matching FROM satellites s \(filter)", values)
            .first?.integer("matching") ?? 0
        let direction = query.descending ? "DESC" : "ASC"
        let key =
            switch query.sort {
            case .name: ""
            case .state: "\(stateExpression(now: now)) \(direction), "
            case .site: "COALESCE(s.site, '') \(direction), "
            case .seen: "COALESCE(\(heardExpression(now: now)), -1) \(direction), "
            }
        let names = try await session.query(
            "SELECT s.name AS name FROM satellites s \(filter) ORDER BY \(key)s.name \(direction) LIMIT ? OFFSET ?",
            values + [.integer(Int64(query.pageSize)), .integer(Int64(query.offset))]
        ).map { try $0.text("name") }
        return (names, Int(total))
    }

    func countByState(now: Int64) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try await session.query(
            "SELECT \(stateExpression(now: now)) AS state, COUNT(*) AS satellites FROM satellites s GROUP BY 1")
        {
            counts[try row.text("state"), default: 0] += Int(try row.integer("satellites"))
        }
        return counts
    }

    /// `Fleet.lastHeard` in SQL: the last request, or now while a held long-poll vouches.
    private func heardExpression(now: Int64) -> String {
        let (greatest, least) = dialect == .postgres ? ("GREATEST", "LEAST") : ("MAX", "MIN")
        let polled = "\(least)(\(now), s.polling_until)"
        return """
            (CASE WHEN s.polling_until IS NULL OR s.status <> 'registered' THEN s.last_seen \
            ELSE \(greatest)(COALESCE(s.last_seen, \(polled)), \(polled)) END)
            """
    }

    /// `SatelliteRecord.state(now:)` in SQL: online until three heartbeat intervals pass unheard.
    private func stateExpression(now: Int64) -> String {
        let heartbeat =
            dialect == .postgres
            ? "CAST(CAST(s.settings AS JSON) ->> 'heartbeatIntervalSeconds' AS BIGINT)"
            : "CAST(json_extract(s.settings, '$.heartbeatIntervalSeconds') AS INTEGER)"
        let since = "COALESCE(\(heardExpression(now: now)), s.registered_at)"
        return """
            (CASE WHEN s.status <> 'registered' THEN s.status WHEN \(since) IS NULL THEN 'stale' \
            WHEN \(now) - \(since) > 3000 * \(heartbeat) THEN 'stale' ELSE 'online' END)
            """
    }

    /// `%`, `_` and the escape itself taken literally in a LIKE pattern.
    private static func escapedForLike(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
