import FleetAPI
import Foundation
import SatelliteProtocol

extension SatelliteService {
    /// Adds a pending satellite and returns its one-time registration token. A token that
    /// someone other than an admin asked for registers a satellite that awaits approval.
    public func create(
        _ definition: SatelliteDefinition, by principal: Principal = .bootstrapAdmin
    ) async throws -> RegistrationToken {
        let made = try await create([definition], by: principal) { $1 }
        return made[0]
    }

    /// The most satellites one request creates.
    public static let batchLimit = 1000

    /// Creates satellites in one change, all or none: each checked as `create` checks one, an
    /// error naming its entry (`satellites[i]: name: …`). Tokens in the order given.
    public func create(
        batch definitions: [SatelliteDefinition], by principal: Principal = .bootstrapAdmin
    ) async throws -> [RegistrationToken] {
        guard (1...Self.batchLimit).contains(definitions.count) else {
            throw GroundControlError(
                .invalidField, "satellites: 1 to \(Self.batchLimit) satellites, not \(definitions.count)")
        }
        return try await create(definitions, by: principal) { "satellites[\($0)]: " + $1 }
    }

    /// A satellite's definition, checked.
    private struct CheckedDefinition: Sendable {
        let name: ResourceName
        let groups: [ResourceName]
        let labels: [String: String]
        let site: String?
        let settings: SatelliteSettings
    }

    private func create(
        _ definitions: [SatelliteDefinition], by principal: Principal,
        field: @escaping @Sendable (_ index: Int, _ message: String) -> String
    ) async throws -> [RegistrationToken] {
        let checked = try Self.check(definitions, field: field)
        let created = now()
        let expires = created.addingTimeInterval(tokenLifetime)
        return try await change(by: principal.actor) { changes in
            var made: [RegistrationToken] = []
            var joining: [(candidate: RolloutCandidate, groups: [String])] = []
            let existing = try await changes.records.satellites.named(in: checked.map(\.name.value))
            if let taken = existing.first, let index = checked.firstIndex(where: { $0.name.value == taken.name }) {
                throw GroundControlError(.duplicate, field(index, "satellite '\(taken.name)' already exists"))
            }
            try await Self.requireGroups(Set(checked.flatMap(\.groups)).sorted(), changes.records)
            for entry in checked {
                let token = Secret.make(prefix: Secret.registrationPrefix)
                let groups = entry.groups.map(\.value)
                try await changes.records.satellites.create(
                    NewSatellite(
                        name: entry.name.value, labels: entry.labels, settings: entry.settings, site: entry.site,
                        groups: groups, revision: try await changes.created(satellite: entry.name.value),
                        createdAt: Self.milliseconds(created),
                        token: TokenGrant(
                            hash: Secret.hash(token), expiresAt: Self.milliseconds(expires),
                            approved: principal.mayApproveSatellites)))
                joining.append(
                    (RolloutCandidate(name: entry.name.value, labels: entry.labels, site: entry.site), groups))
                changes.audit("satellite.create", entry.name.value, "groups \(groups.joined(separator: ","))")
                made.append(RegistrationToken(name: entry.name.value, token: token, expiresAt: expires))
            }
            try await changes.joined(joining)
            return made
        }
    }

    private static func check(
        _ definitions: [SatelliteDefinition], field: (_ index: Int, _ message: String) -> String
    ) throws -> [CheckedDefinition] {
        var checked: [CheckedDefinition] = []
        var names = Set<String>()
        for (index, definition) in definitions.enumerated() {
            do {
                let name = try ResourceName(definition.name, kind: "name")
                guard names.insert(name.value).inserted else {
                    throw GroundControlError(.duplicate, "name: '\(name)' is given more than once")
                }
                let labels = try Self.validatedLabels(definition.labels ?? [:])
                checked.append(
                    CheckedDefinition(
                        name: name, groups: try Self.groupNames(definition.groups), labels: labels,
                        site: try SiteService.site(in: labels),
                        settings: try Self.validatedSettings(definition.settings ?? .defaults)))
            } catch let error as GroundControlError {
                throw GroundControlError(error.code, field(index, error.message))
            }
        }
        return checked
    }

    public func named(_ name: ResourceName) async throws -> SatelliteView {
        let snapshot = try await store.read { records in
            try await FleetSnapshot.load(records, satellite: name.value)
        }
        guard let record = snapshot.satellites.first else {
            throw GroundControlError(.satelliteUnknown, "satellite '\(name)' does not exist")
        }
        return snapshot.view(of: record, now: now())
    }

    /// The page of satellites `query` asks for, judged now, and how many match in all: the
    /// database filters, orders and counts, and only the page's views are worked out.
    public func page(_ query: SatelliteQuery) async throws -> SatelliteListPage {
        let query = try query.validated()
        let at = now()
        let (snapshot, names, total) = try await store.read { records in
            let (names, total) = try await records.satellites.page(query, now: Self.milliseconds(at))
            return (try await FleetSnapshot.load(records, satellites: names), names, total)
        }
        let views = Dictionary(
            await snapshot.views(now: at).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        return SatelliteListPage(satellites: names.compactMap { views[$0] }, total: total)
    }

    /// How many satellites are in each state now (every state named, 0 for none).
    public func countByState() async throws -> [String: Int] {
        let at = Self.milliseconds(now())
        var counts = try await store.read { records in try await records.satellites.countByState(now: at) }
        for state in SatelliteQuery.states where counts[state] == nil { counts[state] = 0 }
        return counts
    }

    public func all() async throws -> [SatelliteView] {
        let snapshot = try await store.read { records in try await FleetSnapshot.load(records, satellite: nil) }
        return await snapshot.views(now: now())
    }

    public func delete(_ name: ResourceName, by actor: Fleet.Actor = .admin) async throws {
        try await change(by: actor) { changes in
            // The tombstone's revision is what tells every process's cache that credentials it
            // holds for this name are void.
            let revision = try await changes.revision()
            guard let deleted = try await changes.records.satellites.delete(name.value, tombstoneRevision: revision)
            else {
                throw GroundControlError(.satelliteUnknown, "satellite '\(name)' does not exist")
            }
            try await changes.records.bundles.deleteAll(of: name.value)
            try await changes.records.certificates.revokeAll(of: name.value, at: Self.milliseconds(now()))
            // It knew the site's credential: its peers move past every credential it held.
            if let site = deleted.site { try await changes.rotate(site: site, steps: 2) }
            changes.audit("satellite.delete", name.value)
        }
    }

    /// Stops the satellite's credential and any unused token from working; the record stays.
    public func revoke(_ name: ResourceName, by actor: Fleet.Actor = .admin) async throws {
        try await change(by: actor) { changes in
            guard let revoked = try await changes.records.satellites.revoke(name.value) else {
                throw GroundControlError(.satelliteUnknown, "satellite '\(name)' does not exist")
            }
            try await changes.touch(satellite: name.value)
            try await changes.records.certificates.revokeAll(of: name.value, at: Self.milliseconds(now()))
            if let site = revoked.site { try await changes.rotate(site: site, steps: 2) }
            changes.audit("satellite.revoke", name.value)
        }
    }

    /// A new one-time registration token (to re-register a satellite, even a revoked one).
    /// The current credential keeps working, approved or not, until the token is used; the
    /// credential the token gets is approved only if an admin asked for the token.
    public func issueToken(
        _ name: ResourceName, by principal: Principal = .bootstrapAdmin
    ) async throws -> RegistrationToken {
        let token = Secret.make(prefix: Secret.registrationPrefix)
        let expires = now().addingTimeInterval(tokenLifetime)
        let grant = TokenGrant(
            hash: Secret.hash(token), expiresAt: Self.milliseconds(expires), approved: principal.mayApproveSatellites)
        try await change(by: principal.actor) { changes in
            guard try await changes.records.satellites.issueToken(grant, to: name.value) else {
                throw GroundControlError(.satelliteUnknown, "satellite '\(name)' does not exist")
            }
            try await changes.touch(satellite: name.value)
            changes.audit("satellite.token", name.value)
        }
        return RegistrationToken(name: name.value, token: token, expiresAt: expires)
    }

    /// Asks the satellite to switch credentials at its next heartbeat.
    public func requestRotation(_ name: ResourceName, by actor: Fleet.Actor = .admin) async throws {
        try await change(by: actor) { changes in
            guard let satellite = try await changes.records.satellites.requestRotation(of: name.value) else {
                try await Self.requireSatellite(name, changes.records)
                throw GroundControlError(.invalidField, "satellite '\(name)' is not registered; nothing to rotate")
            }
            try await changes.touch(satellite: name.value)
            // The site's credential, and its Harbor robots' secrets, rotate with the satellite's own.
            if let site = satellite.site { try await changes.rotate(site: site, steps: 1) }
            try await changes.records.robots.requestRefresh(of: name.value)
            changes.audit("satellite.rotate", name.value)
        }
    }

    public func addGroup(_ group: ResourceName, to name: ResourceName, by actor: Fleet.Actor = .admin) async throws {
        try await change(by: actor) { changes in
            try await Self.requireSatellite(name, changes.records)
            try await Self.requireGroups([group], changes.records)
            guard try await changes.records.satellites.addGroup(group.value, to: name.value) else { return }
            if let satellite = try await changes.records.satellites.named(name.value) {
                try await changes.joined(
                    RolloutCandidate(name: satellite.name, labels: satellite.labels, site: satellite.site),
                    groups: [group.value])
            }
            try await changes.touch(satellite: name.value)
            changes.audit("satellite.group.add", name.value, group.value)
        }
    }

    public func removeGroup(_ group: ResourceName, from name: ResourceName, by actor: Fleet.Actor = .admin) async throws
    {
        try await change(by: actor) { changes in
            try await Self.requireSatellite(name, changes.records)
            guard try await changes.records.satellites.removeGroup(group.value, from: name.value) else {
                throw GroundControlError(.groupUnknown, "satellite '\(name)' is not in group '\(group)'")
            }
            try await changes.touch(satellite: name.value)
            changes.audit("satellite.group.remove", name.value, group.value)
        }
    }

    public func updateSettings(
        _ settings: SatelliteSettings, of name: ResourceName, by actor: Fleet.Actor = .admin
    ) async throws {
        let settings = try Self.validatedSettings(settings)
        try await change(by: actor) { changes in
            try await Self.requireSatellite(name, changes.records)
            try await changes.records.satellites.setSettings(settings, of: name.value)
            try await changes.touch(satellite: name.value)
            changes.audit("satellite.settings", name.value, try Self.json(settings))
        }
    }

    static func requireSatellite(_ name: ResourceName, _ records: FleetRecords) async throws {
        guard try await records.satellites.named(name.value) != nil else {
            throw GroundControlError(.satelliteUnknown, "satellite '\(name)' does not exist")
        }
    }

    static func requireGroups(_ groups: [ResourceName], _ records: FleetRecords) async throws {
        for group in groups {
            guard try await records.groups.named(group.value) != nil else {
                throw GroundControlError(.groupUnknown, "groups: '\(group)' does not exist")
            }
        }
    }

    static func groupNames(_ raw: [String]) throws(GroundControlError) -> [ResourceName] {
        var names: [ResourceName] = []
        for (index, name) in raw.enumerated() {
            let group = try ResourceName(name, kind: "groups[\(index)]")
            guard !names.contains(group) else {
                throw GroundControlError(.duplicate, "groups[\(index)]: '\(name)' is listed twice")
            }
            names.append(group)
        }
        return names
    }

    static func validatedLabels(_ labels: [String: String]) throws(GroundControlError) -> [String: String] {
        guard labels.count <= 64 else {
            throw GroundControlError(.invalidField, "labels: at most 64, not \(labels.count)")
        }
        for (key, value) in labels {
            guard (1...63).contains(key.utf8.count),
                key.unicodeScalars.allSatisfy({
                    $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._/-".unicodeScalars.contains($0))
                })
            else {
                throw GroundControlError(
                    .invalidField,
                    "labels: key '\(key.prefix(80))' must be 1 to 63 letters, digits, '.', '_', '/' or '-'")
            }
            guard value.utf8.count <= 256 else {
                throw GroundControlError(.invalidField, "labels.\(key): longer than 256 bytes")
            }
        }
        return labels
    }

    static func validatedSettings(_ settings: SatelliteSettings) throws(GroundControlError) -> SatelliteSettings {
        guard (1...86_400).contains(settings.syncIntervalSeconds) else {
            throw GroundControlError(
                .invalidField, "settings.syncIntervalSeconds: must be 1 to 86400, not \(settings.syncIntervalSeconds)")
        }
        guard (1...86_400).contains(settings.heartbeatIntervalSeconds) else {
            throw GroundControlError(
                .invalidField,
                "settings.heartbeatIntervalSeconds: must be 1 to 86400, not \(settings.heartbeatIntervalSeconds)")
        }
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        guard levels.contains(settings.logLevel) else {
            throw GroundControlError(
                .invalidField,
                """
                settings.logLevel: must be one of \(levels.joined(separator: ", ")), not \
                '\(settings.logLevel.prefix(40))'
                """
            )
        }
        for (index, runtime) in (settings.runtimes ?? []).enumerated()
        where !SatelliteSettings.knownRuntimes.contains(runtime) {
            throw GroundControlError(
                .invalidField,
                """
                settings.runtimes[\(index)]: must be one of \
                \(SatelliteSettings.knownRuntimes.joined(separator: ", ")), not '\(runtime.prefix(40))'
                """
            )
        }
        if let runtimes = settings.runtimes, Set(runtimes).count != runtimes.count {
            throw GroundControlError(.invalidField, "settings.runtimes: lists a runtime twice")
        }
        var settings = settings
        settings.syncWindows = try SyncWindowRules.validated(settings.syncWindows, field: "settings.syncWindows")
        settings.outsideWindow = try SyncWindowRules.validatedOutsideWindow(
            settings.outsideWindow, field: "settings.outsideWindow")
        settings.upstreamBudgets = try Self.validatedBudgets(settings.upstreamBudgets)
        if let bytes = settings.cacheMaxBytes, bytes < 1 {
            throw GroundControlError(
                .invalidField, "settings.cacheMaxBytes: must be a positive number of bytes, not \(bytes)")
        }
        return settings
    }
}

extension SatelliteService {
    /// Budgets checked, in canonical spelling, at most one per period; nil for none.
    static func validatedBudgets(_ budgets: [String]?) throws(GroundControlError) -> [String]? {
        guard let budgets, !budgets.isEmpty else { return nil }
        var checked: [UpstreamBudget] = []
        for (index, text) in budgets.enumerated() {
            let budget: UpstreamBudget
            do { budget = try UpstreamBudget(parsing: String(text.prefix(80))) } catch {
                throw GroundControlError(.invalidField, "settings.upstreamBudgets[\(index)]: \(error)")
            }
            guard !checked.contains(where: { $0.period == budget.period }) else {
                throw GroundControlError(
                    .invalidField, "settings.upstreamBudgets[\(index)]: a second budget per \(budget.period.rawValue)")
            }
            checked.append(budget)
        }
        return checked.map(\.description)
    }

    /// Opens a one-off sync window: the satellite's next sync may use its upstreams whatever
    /// its windows say. Returns the window's id, which the satellite's state carries.
    public func syncNow(_ name: ResourceName, by actor: Fleet.Actor = .admin) async throws -> String {
        let id = "\(Fleet.milliseconds(fleet.now()))-\(UInt32.random(in: 0...UInt32.max))"
        try await change(by: actor) { changes in
            guard try await changes.records.satellites.setSyncNow(id, of: name.value) else {
                throw GroundControlError(.satelliteUnknown, "satellite '\(name)' does not exist")
            }
            try await changes.touch(satellite: name.value)
            changes.audit("satellite.sync-now", name.value, id)
        }
        return id
    }
}
