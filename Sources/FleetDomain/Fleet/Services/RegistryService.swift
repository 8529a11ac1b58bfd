import FleetAPI
import Foundation
import SatelliteProtocol

extension RegistryService {
    /// Creates or replaces a registry; returns it and whether it is new.
    public func put(
        _ name: ResourceName, _ definition: RegistryDefinition, by actor: Fleet.Actor = .admin
    ) async throws -> (RegistryView, created: Bool) {
        let kind = definition.kind ?? "oci"
        guard kind == "oci" || kind == "harbor" else {
            throw GroundControlError(
                .invalidField,
                "kind: '\(kind.prefix(40))' is not supported; use 'oci' (any Distribution API registry) or 'harbor'")
        }
        try Self.validateURL(definition.url)
        if definition.password != nil && (definition.username ?? "").isEmpty {
            throw GroundControlError(.invalidField, "username: is required with a password")
        }
        if kind == "harbor" && definition.password == nil {
            throw GroundControlError(
                .invalidField,
                """
                password: a registry of kind harbor needs an admin's (or a robot-managing system robot's) username \
                and password
                """
            )
        }
        if let days = definition.robotDurationDays {
            guard kind == "harbor" else {
                throw GroundControlError(.invalidField, "robotDurationDays: only a registry of kind harbor has robots")
            }
            guard (1...365).contains(days) else {
                throw GroundControlError(.invalidField, "robotDurationDays: must be 1 to 365, not \(days)")
            }
        }
        if let secret = definition.webhookSecret {
            do {
                try DesiredState.checkCredential(secret, field: "webhookSecret")
            } catch {
                throw GroundControlError(.invalidField, error.description)
            }
        }
        let record = RegistryRecord(
            name: name.value, url: definition.url, kind: kind, username: definition.username,
            password: definition.password,
            insecure: definition.insecure ?? false, revision: 0, updatedAt: Self.milliseconds(now()),
            webhookSecretHash: definition.webhookSecret.map(Secret.hash),
            robotDurationDays: definition.robotDurationDays)
        return try await change(by: actor) { changes in
            let created = try await changes.records.registries.put(record.at(revision: try await changes.revision()))
            changes.audit("registry.put", name.value, definition.url)
            changes.resolveTags()
            return (record.view, created)
        }
    }

    public func named(_ name: ResourceName) async throws -> RegistryView {
        guard let record = try await record(name.value) else {
            throw GroundControlError(.registryUnknown, "registry '\(name)' does not exist")
        }
        return record.view
    }

    public func all() async throws -> [RegistryView] {
        try await store.read { records in try await records.registries.all().map(\.view) }
    }

    /// Deletes a registry no group uses.
    public func delete(_ name: ResourceName, by actor: Fleet.Actor = .admin) async throws {
        try await change(by: actor) { changes in
            let users = try await changes.records.groups.names(usingRegistry: name.value)
            guard users.isEmpty else {
                throw GroundControlError(
                    .inUse, "registry '\(name)' is used by group(s) \(users.joined(separator: ", "))")
            }
            // Deleted with them, its robots would stay in Harbor with nobody left to delete them.
            let robots = try await changes.records.robots.count(registry: name.value)
            if robots > 0 {
                throw GroundControlError(
                    .inUse,
                    """
                    registry '\(name)' still has \(robots) robot(s) in Harbor that Ground Control has not deleted \
                    yet (is Harbor reachable?); delete the registry once they are gone
                    """
                )
            }
            guard try await changes.records.registries.delete(name.value) else {
                throw GroundControlError(.registryUnknown, "registry '\(name)' does not exist")
            }
            _ = try await changes.revision()
            changes.audit("registry.delete", name.value)
        }
    }

    /// The registry whose webhook presents `authorization` (the header as sent, or after `Bearer `).
    public func named(webhookAuthorization authorization: String) async throws -> String? {
        var candidates = [authorization.trimmingCharacters(in: .whitespaces)]
        if candidates[0].lowercased().hasPrefix("bearer ") {
            candidates.append(String(candidates[0].dropFirst(7)).trimmingCharacters(in: .whitespaces))
        }
        for candidate in candidates where !candidate.isEmpty {
            let found = try await store.read { records in
                try await records.registries.name(webhookSecretHash: Secret.hash(candidate))
            }
            if let found { return found }
        }
        return nil
    }

    package func record(_ name: String) async throws -> RegistryRecord? {
        try await store.read { records in try await records.registries.named(name) }
    }

    static func validateURL(_ url: String) throws(GroundControlError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
            components.query == nil, components.fragment == nil, components.user == nil
        else {
            throw GroundControlError(
                .invalidField,
                "url: must be http(s)://host[:port] with no credentials, query or fragment, not '\(url.prefix(200))'")
        }
    }
}

extension RegistryRecord {
    /// The same registry, stamped with a new revision.
    func at(revision: Int64) -> RegistryRecord {
        RegistryRecord(
            name: name, url: url, kind: kind, username: username, password: password, insecure: insecure,
            revision: revision,
            updatedAt: updatedAt, webhookSecretHash: webhookSecretHash, robotDurationDays: robotDurationDays)
    }

    var view: RegistryView {
        var view = RegistryView(
            name: name, url: url, kind: kind, username: username, passwordSet: password != nil,
            insecure: insecure, updatedAt: Fleet.date(updatedAt))
        view.webhookSet = webhookSet
        if isHarbor { view.robotDurationDays = robotDays }
        return view
    }
}
