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

    /// Admin changes and registrations, newest first.
    public func auditLog(limit: Int = 100, before: Int64? = nil) async throws -> [AuditEntry] {
        let limit = max(1, min(limit, 1000))
        return try await store.read { session in
            try await session.query(
                "SELECT id, at, actor, action, target, detail FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?",
                .integer(before ?? Int64.max), .integer(Int64(limit))
            ).map { row in
                AuditEntry(
                    id: try row.integer("id"), at: Self.date(try row.integer("at")), actor: try row.text("actor"),
                    action: try row.text("action"), target: try row.text("target"), detail: try row.optionalText("detail"))
            }
        }
    }
}
