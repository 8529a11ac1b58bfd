import Foundation
import SatelliteProtocol

/// Events that come from what satellites report, or fail to: a satellite gone stale or back, a
/// sync that failed, drift from the desired state. The fleet view is compared with what was seen
/// last (`satellite_health`); each change is claimed with a conditional update, so of several
/// processes watching one database only one tells it.
extension Fleet {
    struct Health: Equatable {
        var state: String
        var drifting: Bool
        var failedSyncAt: Int64?
    }

    /// The health a satellite starts with when it registers: online, nothing to tell.
    func startHealth(of name: String, _ session: any FleetSession) async throws {
        try await session.query(
            """
            INSERT INTO satellite_health (name, state, drifting, failed_sync_at) VALUES (?, 'online', 0, NULL)
            ON CONFLICT (name) DO UPDATE SET state = 'online', drifting = 0, failed_sync_at = NULL
            """, .text(name))
    }

    /// Compares the fleet view with what was seen last and records an event for each change.
    /// Returns how many events it recorded.
    @discardableResult
    public func observeHealth() async throws -> Int {
        let views = try await satellites()
        let known = try await store.read { session in
            var known: [String: Health] = [:]
            for row in try await session.query("SELECT name, state, drifting, failed_sync_at FROM satellite_health") {
                known[try row.text("name")] = Health(
                    state: try row.text("state"), drifting: try row.integer("drifting") != 0, failedSyncAt: try row.optionalInteger("failed_sync_at"))
            }
            return known
        }
        var told = 0
        for view in views where view.state == "online" || view.state == "stale" {
            let now = Self.health(of: view)
            guard let before = known[view.name] else {
                // First sight (a satellite registered before events existed): a baseline, no event.
                try await store.transaction { session in
                    try await session.query(
                        "INSERT INTO satellite_health (name, state, drifting, failed_sync_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
                        .text(view.name), .text(now.state), .integer(now.drifting ? 1 : 0), now.failedSyncAt.map { .integer($0) } ?? .null)
                }
                continue
            }
            // A failure already told stays recorded after a later success: only a newer one counts.
            guard now.state != before.state || now.drifting != before.drifting || (now.failedSyncAt ?? 0) > (before.failedSyncAt ?? 0) else {
                continue
            }
            told += try await store.transaction { session in
                var told = 0
                if now.state != before.state, try await !session.query(
                    "UPDATE satellite_health SET state = ? WHERE name = ? AND state = ? RETURNING name",
                    .text(now.state), .text(view.name), .text(before.state)).isEmpty {
                    let since = (view.lastSeen ?? view.registeredAt)?.formatted(.iso8601) ?? ""
                    try await emit(session, now.state == "stale" ? .satelliteStale : .satelliteRecovered, subject: view.name, data: ["lastSeen": since])
                    told += 1
                }
                if let failedAt = now.failedSyncAt, failedAt > (before.failedSyncAt ?? 0), try await !session.query(
                    "UPDATE satellite_health SET failed_sync_at = ? WHERE name = ? AND (failed_sync_at IS NULL OR failed_sync_at < ?) RETURNING name",
                    .integer(failedAt), .text(view.name), .integer(failedAt)).isEmpty {
                    let failures = view.lastSync?.failures ?? []
                    var data = ["generation": view.appliedGeneration.map(String.init) ?? "", "failedArtifacts": "\(failures.count)"]
                    data["error"] = view.lastSync?.error ?? failures.first.map { "\($0.reference): \($0.message)" }
                    try await emit(session, .satelliteSyncFailed, subject: view.name, data: data)
                    told += 1
                }
                if now.drifting != before.drifting, try await !session.query(
                    "UPDATE satellite_health SET drifting = ? WHERE name = ? AND drifting = ? RETURNING name",
                    .integer(now.drifting ? 1 : 0), .text(view.name), .integer(before.drifting ? 1 : 0)).isEmpty, now.drifting {
                    try await emit(session, .satelliteDrift, subject: view.name, data: [
                        "desiredGeneration": "\(view.desiredGeneration)", "missing": "\(view.drift.missing.count)",
                    ])
                    told += 1
                }
                return told
            }
        }
        return told
    }

    /// Drift: the satellite says it applied its desired state but lacks some of its artifacts
    /// (behind on its own is a sync under way, not drift).
    static func health(of view: SatelliteView) -> Health {
        let sync = view.lastSync
        let failed = sync?.failed ?? false
        return Health(
            state: view.state, drifting: !view.drift.behind && !view.drift.missing.isEmpty,
            failedSyncAt: failed ? sync?.finishedAt.map(Self.milliseconds) : nil)
    }
}
