import FleetAPI
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
        return try await configuration().desiredState(
            of: inputs, signingKey: try await signingKey(), members: identity.satellitePattern)
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
    public func auditLog(
        limit: Int = 100, before: Int64? = nil, filter: AuditFilter = AuditFilter()
    ) async throws -> [AuditEntry] {
        let limit = max(1, min(limit, 1000))
        return try await store.read { records in
            try await records.audit.entries(before: before ?? Int64.max, limit: limit, matching: filter)
        }
    }
}
