import FleetAPI

struct InMemorySiteRepository: SiteRepository {
    let transaction: InMemoryTransaction

    func epoch(of site: String) async throws -> Int64 { transaction.read { $0.siteEpochs[site] ?? 0 } }

    func advance(_ site: String, by steps: Int64) async throws {
        transaction.change { $0.siteEpochs[site, default: 0] += steps }
    }

    func settings(of site: String) async throws -> SiteSettings? { transaction.read { $0.siteSettings[site] } }

    func allSettings() async throws -> [String: SiteSettings] { transaction.read { $0.siteSettings } }

    func setSettings(_ settings: SiteSettings?, of site: String) async throws {
        transaction.change { $0.siteSettings[site] = settings }
    }

    func members(of site: String, excluding excluded: String) async throws -> [SiteMember] {
        transaction.read { tables in
            tables.satellites.values
                .filter { $0.site == site && $0.name != excluded && $0.status == "registered" && $0.approved }
                .map { SiteMember(name: $0.name, advertisedURL: $0.advertisedURL) }.sorted { $0.name < $1.name }
        }
    }
}

struct InMemoryHealthRepository: HealthRepository {
    let transaction: InMemoryTransaction

    func all() async throws -> [String: HealthRecord] { transaction.read { $0.health } }

    func named(in names: [String]) async throws -> [String: HealthRecord] {
        transaction.read { tables in tables.health.filter { names.contains($0.key) } }
    }

    func reset(_ name: String, to health: HealthRecord) async throws {
        transaction.change { $0.health[name] = health }
    }

    func insertIfAbsent(_ name: String, _ health: HealthRecord) async throws -> Bool {
        transaction.change { tables in
            guard tables.health[name] == nil else { return false }
            tables.health[name] = health
            return true
        }
    }

    func claimState(of name: String, from: String, to: String) async throws -> Bool {
        claim(name, when: { $0.state == from }) { $0.state = to }
    }

    func claimDrifting(of name: String, from: Bool, to: Bool) async throws -> Bool {
        claim(name, when: { $0.drifting == from }) { $0.drifting = to }
    }

    func claimFailedSync(of name: String, at: Int64) async throws -> Bool {
        claim(name, when: { ($0.failedSyncAt ?? Int64.min) < at }) { $0.failedSyncAt = at }
    }

    func claimBudgetExhausted(of name: String, from: String, to: String) async throws -> Bool {
        claim(name, when: { $0.budgetExhausted == from }) { $0.budgetExhausted = to }
    }

    private func claim(
        _ name: String, when condition: (HealthRecord) -> Bool, _ change: (inout HealthRecord) -> Void
    ) -> Bool {
        transaction.change { tables in
            guard var health = tables.health[name], condition(health) else { return false }
            change(&health)
            tables.health[name] = health
            return true
        }
    }
}

struct InMemoryBundleRepository: BundleRepository {
    let transaction: InMemoryTransaction

    func digests(of satellite: String, generation: Int64) async throws -> [String]? {
        transaction.read { $0.bundles[satellite]?[generation] }
    }

    func record(of satellite: String, generation: Int64, at: Int64, digests: [String], keep: Int) async throws {
        transaction.change { tables in
            var kept = tables.bundles[satellite] ?? [:]
            kept[generation] = digests
            for old in kept.keys.sorted(by: >).dropFirst(max(keep, 1)) { kept[old] = nil }
            tables.bundles[satellite] = kept
        }
    }

    func deleteAll(of satellite: String) async throws {
        transaction.change { $0.bundles[satellite] = nil }
    }
}

struct InMemoryMetaRepository: MetaRepository {
    let transaction: InMemoryTransaction

    func value(_ key: String) async throws -> String? { transaction.read { $0.meta[key] } }

    func set(_ key: String, to value: String) async throws {
        transaction.change { $0.meta[key] = value }
    }

    func setIfAbsent(_ key: String, to value: String) async throws -> Bool {
        transaction.change { tables in
            guard tables.meta[key] == nil else { return false }
            tables.meta[key] = value
            return true
        }
    }

    func hold(lease job: String, owner: String, until: Int64, now: Int64) async throws -> Bool {
        transaction.change { tables in
            if let held = tables.leases[job], held.until > now, held.owner != owner { return false }
            tables.leases[job] = (owner, until)
            return true
        }
    }
}
