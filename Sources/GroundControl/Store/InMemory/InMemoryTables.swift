import SatelliteProtocol

/// Everything the in-memory store holds: a value, so a transaction works on a copy.
struct InMemoryTables: Sendable {
    var revision: Int64 = 0
    var audit: [AuditEntry] = []
    var registries: [String: RegistryRecord] = [:]
    var groups: [String: GroupRecord] = [:]
    var events: [Fleet.Event] = []
    /// Robots by registry, then satellite and slot.
    var robots: [String: [String]] = [:]
    var missingProjects: [String: Set<String>] = [:]
}
