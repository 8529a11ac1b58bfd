import FleetAPI
import SatelliteProtocol

struct SQLAuditRepository: AuditRepository {
    let session: any FleetSession

    func append(_ entry: AuditRecord) async throws {
        try await session.query(
            "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
            .integer(entry.at), .text(entry.actor), .text(entry.action), .text(entry.target), .optional(entry.detail))
    }

    func entries(before: Int64, limit: Int, matching filter: Fleet.AuditFilter) async throws -> [AuditEntry] {
        var sql = "SELECT id, at, actor, action, target, detail FROM audit_log WHERE id < ?"
        var values: [SQLValue] = [.integer(before)]
        if let actor = filter.actor {
            sql += " AND actor = ?"
            values.append(.text(actor))
        }
        if let action = filter.action {
            // A trailing '.' names a family; substr rather than LIKE, whose '_' would match anything.
            if action.hasSuffix(".") {
                // The length is a literal: PostgreSQL has no substr taking the bigint a parameter binds.
                sql += " AND substr(action, 1, \(action.unicodeScalars.count)) = ?"
            } else {
                sql += " AND action = ?"
            }
            values.append(.text(action))
        }
        if let target = filter.target {
            sql += " AND target = ?"
            values.append(.text(target))
        }
        sql += " ORDER BY id DESC LIMIT ?"
        values.append(.integer(Int64(limit)))
        return try await session.query(sql, values).map { row in
            AuditEntry(
                id: try row.integer("id"), at: Fleet.date(try row.integer("at")), actor: try row.text("actor"),
                action: try row.text("action"), target: try row.text("target"), detail: try row.optionalText("detail"))
        }
    }
}
