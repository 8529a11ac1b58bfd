import Foundation
import SatelliteProtocol

extension Fleet {
    /// The satellite's current generation, by the same rule the served state uses.
    public func generation(of name: ResourceName) async throws -> Int64 {
        try await configuration().generation(of: try await stateInputs(of: name))
    }

    /// The satellite's desired state (DESIGN.md §5.2), read in one consistent view.
    public func desiredState(of name: ResourceName) async throws -> DesiredState {
        let inputs = try await stateInputs(of: name)
        return try await configuration().desiredState(of: inputs, signingKey: try await signingKey())
    }

    /// Which audit entries to show: by who (`user:ana`, `admin`, `satellite:edge-01`), by action
    /// or its family (`satellite.` takes every satellite action), by target. Unset means any.
    public struct AuditFilter: Sendable, Equatable {
        public var actor: String?
        public var action: String?
        public var target: String?

        public init(actor: String? = nil, action: String? = nil, target: String? = nil) {
            self.actor = actor
            self.action = action
            self.target = target
        }
    }

    /// Admin changes and registrations, newest first.
    public func auditLog(limit: Int = 100, before: Int64? = nil, filter: AuditFilter = AuditFilter()) async throws -> [AuditEntry] {
        let limit = max(1, min(limit, 1000))
        var sql = "SELECT id, at, actor, action, target, detail FROM audit_log WHERE id < ?"
        var values: [SQLValue] = [.integer(before ?? Int64.max)]
        if let actor = filter.actor {
            sql += " AND actor = ?"
            values.append(.text(actor))
        }
        if let action = filter.action {
            // A trailing '.' names a family; substr rather than LIKE, whose '_' would match anything.
            if action.hasSuffix(".") {
                // The length is a literal: PostgreSQL has no substr taking the bigint a parameter binds.
                sql += " AND substr(action, 1, \(action.unicodeScalars.count)) = ?"
                values.append(.text(action))
            } else {
                sql += " AND action = ?"
                values.append(.text(action))
            }
        }
        if let target = filter.target {
            sql += " AND target = ?"
            values.append(.text(target))
        }
        sql += " ORDER BY id DESC LIMIT ?"
        values.append(.integer(Int64(limit)))
        return try await store.read { [sql, values] session in
            try await session.query(sql, values).map { row in
                AuditEntry(
                    id: try row.integer("id"), at: Self.date(try row.integer("at")), actor: try row.text("actor"),
                    action: try row.text("action"), target: try row.text("target"), detail: try row.optionalText("detail"))
            }
        }
    }
}
