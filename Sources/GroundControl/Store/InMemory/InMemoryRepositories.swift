import Foundation
import SatelliteProtocol

struct InMemoryRevisionRepository: RevisionRepository {
    let transaction: InMemoryTransaction

    func current() async throws -> Int64 { transaction.read { $0.revision } }

    func next() async throws -> Int64 {
        transaction.change { tables in
            tables.revision += 1
            return tables.revision
        }
    }
}

struct InMemoryAuditRepository: AuditRepository {
    let transaction: InMemoryTransaction

    func append(_ entry: AuditRecord) async throws {
        transaction.change { tables in
            tables.audit.append(AuditEntry(
                id: (tables.audit.last?.id ?? 0) + 1, at: Fleet.date(entry.at), actor: entry.actor, action: entry.action,
                target: entry.target, detail: entry.detail))
        }
    }

    func entries(before: Int64, limit: Int, matching filter: Fleet.AuditFilter) async throws -> [AuditEntry] {
        transaction.read { tables in
            Array(tables.audit.reversed().lazy
                .filter { $0.id < before && filter.matches(actor: $0.actor, action: $0.action, target: $0.target) }
                .prefix(limit))
        }
    }
}

struct InMemoryRegistryRepository: RegistryRepository {
    let transaction: InMemoryTransaction

    func named(_ name: String) async throws -> RegistryRecord? { transaction.read { $0.registries[name] } }

    func all() async throws -> [RegistryRecord] {
        transaction.read { $0.registries.values.sorted { $0.name < $1.name } }
    }

    func put(_ registry: RegistryRecord) async throws -> Bool {
        transaction.change { $0.registries.updateValue(registry, forKey: registry.name) == nil }
    }

    func delete(_ name: String) async throws -> Bool {
        transaction.change { $0.registries.removeValue(forKey: name) != nil }
    }

    func name(webhookSecretHash hash: String) async throws -> String? {
        transaction.read { $0.registries.values.first { $0.webhookSecretHash == hash }?.name }
    }
}

struct InMemoryGroupRepository: GroupRepository {
    let transaction: InMemoryTransaction

    func named(_ name: String) async throws -> GroupRecord? { transaction.read { $0.groups[name] } }

    func all() async throws -> [GroupRecord] {
        transaction.read { $0.groups.values.sorted { $0.name < $1.name } }
    }

    func put(_ group: GroupRecord) async throws {
        try transaction.change { tables in
            guard tables.registries[group.registry] != nil else {
                throw FleetStoreError.constraint("image_groups.registry: no registry '\(group.registry)'")
            }
            tables.groups[group.name] = group
        }
    }

    func delete(_ name: String) async throws -> Bool {
        transaction.change { $0.groups.removeValue(forKey: name) != nil }
    }

    func setArtifacts(_ artifacts: [GroupArtifact], revision: Int64, of name: String) async throws {
        transaction.change { tables in
            guard let group = tables.groups[name] else { return }
            tables.groups[name] = GroupRecord(
                name: group.name, registry: group.registry, artifacts: artifacts, proxy: group.proxy, scanGate: group.scanGate,
                verification: group.verification, revision: revision, updatedAt: group.updatedAt)
        }
    }

    func names(usingRegistry registry: String) async throws -> [String] {
        transaction.read { $0.groups.values.filter { $0.registry == registry }.map(\.name).sorted() }
    }

    func proxyVerifications(registry: String, excluding excluded: String) async throws -> [DesiredState.Verification] {
        transaction.read { tables in
            tables.groups.values
                .filter { $0.registry == registry && $0.name != excluded && $0.proxy != nil }
                .compactMap(\.verification)
        }
    }
}

struct InMemoryEventRepository: EventRepository {
    let transaction: InMemoryTransaction

    func append(_ event: EventRecord) async throws {
        transaction.change { tables in
            tables.events.append(Fleet.Event(
                id: (tables.events.last?.id ?? 0) + 1, type: event.type, subject: event.subject, at: Fleet.date(event.at), data: event.data))
        }
    }
}

struct InMemoryRobotRepository: RobotRepository {
    let transaction: InMemoryTransaction

    func count(registry: String) async throws -> Int { transaction.read { $0.robots[registry]?.count ?? 0 } }

    func missingProjects() async throws -> [String: Set<String>] { transaction.read { $0.missingProjects } }
}
