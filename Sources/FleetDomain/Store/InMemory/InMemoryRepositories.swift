import FleetAPI
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
            tables.audit.append(
                AuditEntry(
                    id: (tables.audit.last?.id ?? 0) + 1, at: Fleet.date(entry.at), actor: entry.actor,
                    action: entry.action,
                    target: entry.target, detail: entry.detail))
        }
    }

    func entries(before: Int64, limit: Int, matching filter: Fleet.AuditFilter) async throws -> [AuditEntry] {
        transaction.read { tables in
            Array(
                tables.audit.reversed().lazy
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
            tables.groups[name]?.artifacts = artifacts
            tables.groups[name]?.revision = revision
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
            tables.events.append(
                EventService.Event(
                    id: tables.lastEventID + 1, type: event.type, subject: event.subject, at: Fleet.date(event.at),
                    data: event.data))
            tables.lastEventID += 1
        }
    }

    func events(after cursor: Int64, limit: Int) async throws -> [EventService.Event] {
        transaction.read { tables in Array(tables.events.lazy.filter { $0.id > cursor }.prefix(limit)) }
    }
}

struct InMemoryRobotRepository: RobotRepository {
    let transaction: InMemoryTransaction

    func all() async throws -> [RobotRow] { transaction.read { Self.sorted($0.robots).sorted { $0.slot < $1.slot } } }

    func of(satellite: String) async throws -> [RobotRow] {
        transaction.read { Self.sorted($0.robots).filter { $0.satellite == satellite } }
    }

    func issued(to satellite: String?) async throws -> [RobotRow] {
        transaction.read { tables in
            Self.sorted(tables.robots).filter {
                $0.issuedRevision != nil && (satellite == nil || $0.satellite == satellite)
            }
        }
    }

    func count(registry: String) async throws -> Int {
        transaction.read { $0.robots.values.filter { $0.registry == registry }.count }
    }

    func put(_ row: RobotRow) async throws {
        transaction.change { $0.robots[RobotKey(row)] = row }
    }

    func delete(registry: String, satellite: String, slot: String) async throws {
        transaction.change { $0.robots[RobotKey(registry: registry, satellite: satellite, slot: slot)] = nil }
    }

    func clearRefresh(registry: String, satellite: String) async throws {
        transaction.change { tables in
            for (key, row) in tables.robots where row.registry == registry && row.satellite == satellite {
                tables.robots[key]?.refreshRequested = false
            }
        }
    }

    func requestRefresh(of satellite: String) async throws {
        transaction.change { tables in
            for (key, row) in tables.robots where row.satellite == satellite && row.issuedRevision != nil {
                tables.robots[key]?.refreshRequested = true
            }
        }
    }

    func missingProjects() async throws -> [String: Set<String>] { transaction.read { $0.missingProjects } }

    func rememberMissing(_ projects: [String], in registry: String, at: Int64) async throws {
        transaction.change { $0.missingProjects[registry, default: []].formUnion(projects) }
    }

    func forgetMissing(_ projects: [String], in registry: String) async throws {
        transaction.change { tables in
            tables.missingProjects[registry]?.subtract(projects)
            if tables.missingProjects[registry]?.isEmpty == true { tables.missingProjects[registry] = nil }
        }
    }

    /// By registry and slot, as SQL's primary key orders them.
    private static func sorted(_ robots: [RobotKey: RobotRow]) -> [RobotRow] {
        robots.values.sorted { ($0.registry, $0.slot, $0.satellite) < ($1.registry, $1.slot, $1.satellite) }
    }
}
