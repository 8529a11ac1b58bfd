/// The registries groups pull from.
package protocol RegistryRepository: Sendable {
    func named(_ name: String) async throws -> RegistryRecord?

    /// Every registry, by name.
    func all() async throws -> [RegistryRecord]

    /// Creates or replaces the registry of that name; returns whether it is new.
    func put(_ registry: RegistryRecord) async throws -> Bool

    /// Returns whether there was one to delete.
    func delete(_ name: String) async throws -> Bool

    /// The registry whose webhooks present the secret with this hash.
    func name(webhookSecretHash hash: String) async throws -> String?
}

/// A registry, password included (it is handed to satellites, never shown by the API).
package struct RegistryRecord: Sendable, Equatable {
    static let defaultRobotDays = 30

    package let name: String
    package let url: String
    let kind: String
    package let username: String?
    package let password: String?
    package let insecure: Bool
    let revision: Int64
    /// Milliseconds since 1970.
    let updatedAt: Int64
    let webhookSecretHash: String?
    let robotDurationDays: Int?

    package var isHarbor: Bool { kind == "harbor" }
    var webhookSet: Bool { webhookSecretHash != nil }
    /// How long its robots live: the registry's choice, or the default.
    package var robotDays: Int { robotDurationDays ?? Self.defaultRobotDays }
}
