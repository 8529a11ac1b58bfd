import FleetAPI
import Foundation
import SatelliteProtocol

/// Events that come from what satellites report, or fail to: a satellite gone stale or back, a
/// sync that failed, drift from the desired state. The fleet view is compared with what was seen
/// last (`satellite_health`); each change is claimed with a conditional update, so of several
/// processes watching one database only one tells it.
extension SatelliteService {
    /// The health a satellite starts with when it registers: online, nothing to tell.
    func startHealth(of name: String, _ records: FleetRecords) async throws {
        try await records.health.reset(name, to: HealthRecord(state: "online", drifting: false, failedSyncAt: nil))
    }

    /// What the last look worked out for each satellite. Drift and failed syncs come from the
    /// satellite's report and desired state, which move only with its row (a heartbeat, a change
    /// to it) or with the groups and registries: the next look works them out again only for
    /// those, and judges the rest (online or stale) from the clock alone.
    ///
    /// Between looks at the whole fleet (every `fullLookInterval`, and whenever the groups or
    /// registries change), a look reads only the satellites that sent a status in full or were
    /// changed since the last, and those the memo no longer shows online (to see whether they
    /// were heard from since): at rest, a small part of the fleet.
    public struct HealthMemo: Sendable {
        struct Seen: Sendable {
            let revision: Int64
            /// Taken from the row whenever it is read: liveness alone works out nothing again.
            var lastSeen: Int64?
            var pollingUntil: Int64?
            let statusDigest: String?
            let appliedGeneration: Int64?
            let registeredAt: Int64?
            let heartbeatSeconds: Int
            let contentRevision: Int64
            let drifting: Bool
            let failedSyncAt: Int64?
            /// What the events say, should the drift or the failure be news.
            let drift: [String: String]
            let failure: [String: String]
            /// The budgets its last report says are exhausted, with their periods.
            let budgetExhausted: String
            let budget: [String: String]
        }

        var seen: [String: Seen] = [:]
        /// The health recorded of each satellite, as the last look read or told it.
        var known: [String: HealthRecord] = [:]
        /// The fleet's revision and the groups' content when the last look read.
        var revision: Int64 = -1
        var contentRevision: Int64 = -1
        /// From when (milliseconds) statuses sent in full are read again: the last look's time
        /// less `reportSlack`.
        var reportedSince: Int64 = 0
        var fullLookAt: Date?
        /// How many satellites' rows the last look read.
        public internal(set) var rowsRead = 0

        public init() {}
    }

    /// How often the whole fleet is read though nothing says it changed.
    static let fullLookInterval: TimeInterval = 300
    /// How late a status may be written after the time it carries (batched writes, the clocks
    /// of several processes): each look reads the statuses sent this long before the last.
    static let reportSlack: Int64 = 30_000

    /// Compares the fleet view with what was seen last and records an event for each change.
    /// Returns how many events it recorded.
    @discardableResult
    public func observeHealth() async throws -> Int {
        var memo = HealthMemo()
        return try await observeHealth(remembering: &memo)
    }

    /// `observeHealth()`, reading and working out again only what may have changed since `memo`.
    @discardableResult
    public func observeHealth(remembering memo: inout HealthMemo) async throws -> Int {
        let at = now()
        let full =
            memo.fullLookAt.map { at.timeIntervalSince($0) >= Self.fullLookInterval || at < $0 } ?? true
        let look = try await store.read { [memo] records in
            try await Self.readForLook(records, memo: memo, full: full, at: at)
        }
        let whole = look.whole
        var seen = whole ? [:] : memo.seen
        for name in look.gone { seen[name] = nil }
        var moved: [String] = []
        for row in look.rows {
            let name = row.name
            if var before = memo.seen[name], before.revision == row.revision, before.statusDigest == row.statusDigest,
                before.appliedGeneration == row.appliedGeneration, before.contentRevision == look.contentRevision
            {
                before.lastSeen = row.lastSeen
                before.pollingUntil = row.pollingUntil
                seen[name] = before
            } else {
                moved.append(name)
            }
        }
        if !moved.isEmpty {
            let digests = Dictionary(
                look.rows.map { ($0.name, $0.statusDigest) }, uniquingKeysWith: { first, _ in first })
            let snapshot = try await store.read { [moved] records in
                try await FleetSnapshot.load(records, satellites: moved)
            }
            for (record, view) in zip(snapshot.satellites, await snapshot.views(now: at))
            where record.status == "registered" {
                let health = Self.health(of: view)
                seen[record.name] = HealthMemo.Seen(
                    revision: record.revision, lastSeen: record.lastSeen, pollingUntil: record.pollingUntil,
                    statusDigest: digests[record.name] ?? nil, appliedGeneration: record.appliedGeneration,
                    registeredAt: record.registeredAt,
                    heartbeatSeconds: record.settings.heartbeatIntervalSeconds,
                    // Read with the rows: a later change to a group is seen at the next look.
                    contentRevision: min(look.contentRevision, snapshot.configuration.contentRevision),
                    drifting: health.drifting, failedSyncAt: health.failedSyncAt,
                    drift: [
                        "desiredGeneration": "\(view.desiredGeneration)", "missing": "\(view.drift.missing.count)",
                    ],
                    failure: Self.failureDetails(of: view),
                    budgetExhausted: Self.exhaustedBudgets(of: view), budget: Self.budgetDetails(of: view))
            }
        }
        var known = whole ? look.known : memo.known
        for name in look.gone { known[name] = nil }
        known.merge(look.known) { _, fresh in fresh }
        memo.seen = seen
        memo.revision = look.revision
        memo.contentRevision = look.contentRevision
        memo.reportedSince = Fleet.milliseconds(at) - Self.reportSlack
        if whole { memo.fullLookAt = at }
        memo.rowsRead = look.rows.count
        var told = 0
        let looked = whole ? seen.keys.sorted() : look.rows.map(\.name).sorted()
        for name in looked {
            guard let satellite = seen[name] else { continue }
            let now = HealthRecord(
                state: SatelliteRecord.state(
                    status: "registered",
                    lastSeen: Fleet.lastHeard(satellite.lastSeen, pollingUntil: satellite.pollingUntil, now: at),
                    registeredAt: satellite.registeredAt,
                    heartbeatSeconds: satellite.heartbeatSeconds, now: at),
                drifting: satellite.drifting, failedSyncAt: satellite.failedSyncAt,
                budgetExhausted: satellite.budgetExhausted)
            defer { known[name] = now }
            guard let before = known[name] else {
                // First sight (a satellite registered before events existed): a baseline, no event.
                _ = try await store.transaction { records in try await records.health.insertIfAbsent(name, now) }
                continue
            }
            // A failure already told stays recorded after a later success: only a newer one counts.
            guard
                now.state != before.state || now.drifting != before.drifting
                    || (now.failedSyncAt ?? 0) > (before.failedSyncAt ?? 0)
                    || now.budgetExhausted != before.budgetExhausted
            else {
                continue
            }
            told += try await change(by: .groundControl) { changes in
                let health = changes.records.health
                var told = 0
                if now.state != before.state, try await health.claimState(of: name, from: before.state, to: now.state) {
                    let since =
                        (satellite.lastSeen ?? satellite.registeredAt).map { Self.date($0).formatted(.iso8601) } ?? ""
                    try changes.emit(
                        now.state == "stale" ? .satelliteStale : .satelliteRecovered, subject: name,
                        data: ["lastSeen": since])
                    told += 1
                }
                if let failedAt = now.failedSyncAt, failedAt > (before.failedSyncAt ?? 0),
                    try await health.claimFailedSync(of: name, at: failedAt)
                {
                    try changes.emit(.satelliteSyncFailed, subject: name, data: satellite.failure)
                    told += 1
                }
                if now.drifting != before.drifting,
                    try await health.claimDrifting(of: name, from: before.drifting, to: now.drifting),
                    now.drifting
                {
                    try changes.emit(.satelliteDrift, subject: name, data: satellite.drift)
                    told += 1
                }
                // Told once per budget and period; a budget renewed is no news.
                if now.budgetExhausted != before.budgetExhausted,
                    try await health.claimBudgetExhausted(
                        of: name, from: before.budgetExhausted, to: now.budgetExhausted),
                    !now.budgetExhausted.isEmpty
                {
                    try changes.emit(.satelliteBudgetExhausted, subject: name, data: satellite.budget)
                    told += 1
                }
                return told
            }
        }
        memo.known = known
        return told
    }

    /// What a look reads: the rows of the satellites it looks at, those gone since the last look,
    /// and their recorded health.
    private struct LookRead: Sendable {
        var rows: [RegisteredSatellite]
        var gone: [String]
        var known: [String: HealthRecord]
        var revision: Int64
        var contentRevision: Int64
        /// The whole fleet was read.
        var whole: Bool
    }

    /// The whole fleet (`full`, or when the groups or registries changed), or what may have
    /// changed since `memo`: satellites changed since its revision, statuses sent in full since
    /// its time, and the satellites it shows not online by now or not recorded so (were they
    /// heard from since?).
    private static func readForLook(
        _ records: FleetRecords, memo: HealthMemo, full: Bool, at: Date
    ) async throws -> LookRead {
        let configuration = try await FleetConfiguration.load(records)
        let (revision, contentRevision) = (configuration.revision, configuration.contentRevision)
        if full || contentRevision != memo.contentRevision {
            return LookRead(
                rows: try await records.satellites.registered(), gone: [], known: try await records.health.all(),
                revision: revision, contentRevision: contentRevision, whole: true)
        }
        var rows = try await records.satellites.registered(reportedSince: memo.reportedSince)
        var names = Set(rows.map(\.name))
        var wanted = Set(try await records.satellites.revisions(after: memo.revision).map(\.name))
        for (name, satellite) in memo.seen {
            let heard = Fleet.lastHeard(satellite.lastSeen, pollingUntil: satellite.pollingUntil, now: at)
            let state = SatelliteRecord.state(
                status: "registered", lastSeen: heard, registeredAt: satellite.registeredAt,
                heartbeatSeconds: satellite.heartbeatSeconds, now: at)
            if state != "online" || memo.known[name]?.state != "online" { wanted.insert(name) }
        }
        wanted.subtract(names)
        let fresh = try await records.satellites.registered(named: wanted.sorted())
        rows += fresh
        names.formUnion(fresh.map(\.name))
        let gone = wanted.subtracting(names).filter { memo.seen[$0] != nil || memo.known[$0] != nil }
        return LookRead(
            rows: rows, gone: gone.sorted(), known: try await records.health.named(in: names.sorted()),
            revision: revision, contentRevision: contentRevision, whole: false)
    }

    static func exhaustedBudgets(of view: SatelliteView) -> String {
        (view.meter?.budgets ?? []).filter(\.exhausted).map { "\($0.budget)@\($0.period)" }.joined(separator: ",")
    }

    static func budgetDetails(of view: SatelliteView) -> [String: String] {
        guard let use = view.meter?.budgets.first(where: \.exhausted) else { return [:] }
        let undone = (view.lastSync?.failures ?? []).filter { $0.reason == .budgetExhausted }
        return [
            "budget": use.budget, "period": use.period, "usedBytes": "\(use.usedBytes)",
            "limitBytes": "\(use.limitBytes)", "artifactsLeft": "\(undone.count)",
        ]
    }

    static func failureDetails(of view: SatelliteView) -> [String: String] {
        let failures = view.lastSync?.failures ?? []
        var data = [
            "generation": view.appliedGeneration.map(String.init) ?? "", "failedArtifacts": "\(failures.count)",
        ]
        data["error"] = view.lastSync?.error ?? failures.first.map { "\($0.reference): \($0.message)" }
        return data
    }

    /// Drift: the satellite says it applied its desired state but lacks some of its artifacts
    /// (behind on its own is a sync under way, not drift).
    static func health(of view: SatelliteView) -> HealthRecord {
        let sync = view.lastSync
        let failed = sync?.failed ?? false
        return HealthRecord(
            state: view.state, drifting: !view.drift.behind && !view.drift.missing.isEmpty,
            failedSyncAt: failed ? sync?.finishedAt.map(Self.milliseconds) : nil)
    }
}
