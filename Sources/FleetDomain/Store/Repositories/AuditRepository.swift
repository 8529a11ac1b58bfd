import FleetAPI
import SatelliteProtocol

/// The audit log: who changed what, newest first when read.
package protocol AuditRepository: Sendable {
    func append(_ entry: AuditRecord) async throws

    /// Entries with an id below `before`, newest first, at most `limit` of them.
    func entries(before: Int64, limit: Int, matching filter: Fleet.AuditFilter) async throws -> [AuditEntry]
}

/// One entry to write; the store numbers it.
package struct AuditRecord: Sendable, Equatable {
    /// Milliseconds since 1970.
    let at: Int64
    let actor: String
    let action: String
    let target: String
    let detail: String?
}

extension Fleet.AuditFilter {
    /// Whether an entry matches; an action ending in '.' names a family.
    func matches(actor: String, action: String, target: String) -> Bool {
        if let wanted = self.actor, wanted != actor { return false }
        if let wanted = self.target, wanted != target { return false }
        if let wanted = self.action {
            return wanted.hasSuffix(".") ? action.unicodeScalars.starts(with: wanted.unicodeScalars) : wanted == action
        }
        return true
    }
}
