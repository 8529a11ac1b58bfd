import SatelliteProtocol

struct InMemorySatelliteRepository: SatelliteRepository {
    let transaction: InMemoryTransaction

    func named(_ name: String) async throws -> SatelliteRecord? { transaction.read { $0.satellites[name]?.record } }

    func all() async throws -> [SatelliteRecord] {
        transaction.read { $0.satellites.values.map(\.record).sorted { $0.name < $1.name } }
    }

    func named(in names: [String]) async throws -> [SatelliteRecord] {
        transaction.read { tables in Set(names).compactMap { tables.satellites[$0]?.record } }
    }

    func stateRow(of name: String) async throws -> SatelliteStateRow? {
        try transaction.read { tables in
            guard let satellite = tables.satellites[name] else { return nil }
            return SatelliteStateRow(
                name: name, revision: satellite.revision, status: satellite.status,
                rotateRequested: satellite.rotateRequested,
                settingsJSON: try StoredJSON.encode(satellite.settings), site: satellite.site,
                advertisedURL: satellite.advertisedURL,
                approved: satellite.approved, groups: satellite.groups.sorted(), syncNow: satellite.syncNow)
        }
    }

    func setSyncNow(_ id: String, of name: String) async throws -> Bool {
        transaction.change { tables in
            guard tables.satellites[name] != nil else { return false }
            tables.satellites[name]?.syncNow = id
            return true
        }
    }

    func create(_ satellite: NewSatellite) async throws {
        try transaction.change { tables in
            guard tables.satellites[satellite.name] == nil else {
                throw FleetStoreError.constraint("satellites.name: '\(satellite.name)' exists")
            }
            try Self.requireGroups(satellite.groups, in: tables)
            tables.satellites[satellite.name] = InMemorySatellite(
                name: satellite.name, labels: satellite.labels, settings: satellite.settings,
                revision: satellite.revision,
                createdAt: satellite.createdAt, site: satellite.site, tokenApproved: satellite.token.approved,
                tokenHash: satellite.token.hash, tokenExpiresAt: satellite.token.expiresAt,
                groups: Set(satellite.groups))
        }
    }

    func delete(_ name: String, tombstoneRevision revision: Int64) async throws -> SatelliteRecord? {
        transaction.change { tables in
            guard let deleted = tables.satellites.removeValue(forKey: name) else { return nil }
            tables.tombstones[name] = revision
            return deleted.record
        }
    }

    func setRevision(_ revision: Int64, of name: String) async throws {
        update(name) { $0.revision = revision }
    }

    func setRevision(_ revision: Int64, ofSite site: String) async throws -> Set<String> {
        transaction.change { tables in
            let members = Set(tables.satellites.values.filter { $0.site == site }.map(\.name))
            for name in members { tables.satellites[name]?.revision = revision }
            return members
        }
    }

    func setSettings(_ settings: SatelliteSettings, of name: String) async throws {
        update(name) { $0.settings = settings }
    }

    func revisions(after revision: Int64) async throws -> [(name: String, revision: Int64)] {
        transaction.read { tables in
            tables.satellites.values.filter { $0.revision > revision }.map { ($0.name, $0.revision) }
                + tables.tombstones.filter { $0.value > revision }.map { ($0.key, $0.value) }
        }
    }

    func revoke(_ name: String) async throws -> SatelliteRecord? {
        update(name) { satellite in
            satellite.status = "revoked"
            satellite.credentialHash = nil
            satellite.nextCredentialHash = nil
            satellite.tokenHash = nil
            satellite.tokenExpiresAt = nil
            satellite.rotateRequested = false
        }
    }

    func issueToken(_ token: TokenGrant, to name: String) async throws -> Bool {
        update(name) { satellite in
            satellite.tokenHash = token.hash
            satellite.tokenExpiresAt = token.expiresAt
            satellite.tokenApproved = token.approved
            if satellite.status == "revoked" { satellite.status = "pending" }
        } != nil
    }

    func requestRotation(of name: String) async throws -> SatelliteRecord? {
        update(name, where: { $0.status == "registered" }) { $0.rotateRequested = true }
    }

    func approve(_ name: String) async throws -> SatelliteRecord? {
        update(name) { satellite in
            satellite.approved = true
            satellite.tokenApproved = true
        }
    }

    func setAdvertisedURL(_ url: String?, of name: String) async throws -> SatelliteRecord? {
        update(name, where: { $0.status == "registered" }) { $0.advertisedURL = url }
    }

    func recordHeartbeat(of name: String, at: Int64, report: StatusReport, digest: String?) async throws {
        update(name, where: { $0.status == "registered" }) { satellite in
            satellite.lastSeen = at
            satellite.reportedAt = at
            satellite.appliedGeneration = report.generation
            satellite.report = report
            satellite.statusDigest = digest
        }
    }

    func recordPresence(of name: String, at: Int64, pollingUntil: Int64?) async throws {
        update(name, where: { $0.status == "registered" }) { satellite in
            satellite.lastSeen = at
            if let pollingUntil { satellite.pollingUntil = pollingUntil }
        }
    }

    func statusDigest(of name: String) async throws -> String? {
        transaction.read { $0.satellites[name]?.statusDigest }
    }

    func tokenHolder(tokenHash: String) async throws -> TokenHolder? {
        transaction.read { tables in
            tables.satellites.values.first { $0.tokenHash == tokenHash }.map {
                TokenHolder(name: $0.name, expiresAt: $0.tokenExpiresAt, settings: $0.settings)
            }
        }
    }

    func register(_ name: String, tokenHash: String, credentialHash: String, at: Int64) async throws -> Bool {
        update(name, where: { $0.tokenHash == tokenHash }) { satellite in
            satellite.tokenHash = nil
            satellite.tokenExpiresAt = nil
            satellite.credentialHash = credentialHash
            satellite.nextCredentialHash = nil
            satellite.rotateRequested = false
            satellite.status = "registered"
            satellite.registeredAt = at
            satellite.advertisedURL = nil
            satellite.approved = satellite.tokenApproved
        } != nil
    }

    func credentialHolder(credentialHash hash: String) async throws -> CredentialHolder? {
        transaction.read { tables in
            tables.satellites.values.first { $0.credentialHash == hash || $0.nextCredentialHash == hash }.map {
                CredentialHolder(name: $0.name, revision: $0.revision, isNext: $0.nextCredentialHash == hash)
            }
        }
    }

    func retirePreviousCredential(of name: String, nextHash: String) async throws {
        update(name, where: { $0.nextCredentialHash == nextHash }) { satellite in
            satellite.credentialHash = satellite.nextCredentialHash
            satellite.nextCredentialHash = nil
        }
    }

    func issueNextCredential(_ hash: String, to name: String) async throws -> Bool {
        update(name, where: { $0.rotateRequested }) { satellite in
            satellite.nextCredentialHash = hash
            satellite.rotateRequested = false
        } != nil
    }

    func groups(of names: [String]?) async throws -> [String: [String]] {
        transaction.read { tables in
            let chosen = names.map { Set($0).compactMap { tables.satellites[$0] } } ?? Array(tables.satellites.values)
            return Dictionary(
                uniqueKeysWithValues: chosen.filter { !$0.groups.isEmpty }.map { ($0.name, $0.groups.sorted()) })
        }
    }

    func addGroup(_ group: String, to name: String) async throws -> Bool {
        try transaction.change { tables in
            try Self.requireGroups([group], in: tables)
            guard tables.satellites[name] != nil else {
                throw FleetStoreError.constraint("satellite_groups.satellite: no satellite '\(name)'")
            }
            return tables.satellites[name]?.groups.insert(group).inserted ?? false
        }
    }

    func removeGroup(_ group: String, from name: String) async throws -> Bool {
        transaction.change { $0.satellites[name]?.groups.remove(group) != nil }
    }

    func members(ofAny groups: [String]) async throws -> Set<String> {
        let wanted = Set(groups)
        return transaction.read { tables in
            Set(tables.satellites.values.filter { !$0.groups.isDisjoint(with: wanted) }.map(\.name))
        }
    }

    func members(of group: String, limit: Int) async throws -> [String] {
        transaction.read { tables in
            Array(tables.satellites.values.filter { $0.groups.contains(group) }.map(\.name).sorted().prefix(limit))
        }
    }

    func registered() async throws -> [RegisteredSatellite] {
        registered { _ in true }
    }

    func registered(named names: [String]) async throws -> [RegisteredSatellite] {
        let wanted = Set(names)
        return registered { wanted.contains($0.name) }
    }

    func registered(reportedSince since: Int64) async throws -> [RegisteredSatellite] {
        registered { ($0.reportedAt ?? .min) >= since }
    }

    private func registered(where condition: (InMemorySatellite) -> Bool) -> [RegisteredSatellite] {
        transaction.read { tables in
            tables.satellites.values.filter { $0.status == "registered" && condition($0) }.map {
                RegisteredSatellite(
                    name: $0.name, revision: $0.revision, lastSeen: $0.lastSeen, pollingUntil: $0.pollingUntil,
                    appliedGeneration: $0.appliedGeneration, statusDigest: $0.statusDigest)
            }
        }
    }

    /// Changes the satellite when it exists and meets `condition`; returns it as it is then.
    @discardableResult
    private func update(
        _ name: String, where condition: (InMemorySatellite) -> Bool = { _ in true },
        _ change: (inout InMemorySatellite) -> Void
    ) -> SatelliteRecord? {
        transaction.change { tables in
            guard var satellite = tables.satellites[name], condition(satellite) else { return nil }
            change(&satellite)
            tables.satellites[name] = satellite
            return satellite.record
        }
    }

    /// What the SQL schema's foreign key refuses.
    private static func requireGroups(_ groups: [String], in tables: InMemoryTables) throws {
        for group in groups where tables.groups[group] == nil {
            throw FleetStoreError.constraint("satellite_groups.group_name: no group '\(group)'")
        }
    }
}
