import FleetAPI
import FleetDomain
import SatelliteProtocol

/// The whole fleet's views as the pages and `/metrics` show them, worked out at most once per
/// `maxAge` however many ask: ten people watching the fleet page cost what one does, and a page
/// shows a view at most that old. At 10,000 satellites one view takes a good part of a second of
/// a core, so each asking for its own took Ground Control down (issue 25.4).
actor FleetViewCache {
    private let maxAge: Duration
    private var latest: (views: [SatelliteView], at: ContinuousClock.Instant)?
    private var running: Task<[SatelliteView], any Error>?

    init(maxAge: Duration = .seconds(2)) {
        self.maxAge = maxAge
    }

    /// The latest views, or new ones from `load` when they are older than `maxAge`; callers that
    /// arrive while they are worked out wait for the same work.
    func views(_ load: @escaping @Sendable () async throws -> [SatelliteView]) async throws -> [SatelliteView] {
        if let latest, ContinuousClock.now - latest.at < maxAge { return latest.views }
        if let running { return try await running.value }
        let work = Task { try await load() }
        running = work
        defer { running = nil }
        let views = try await work.value
        latest = (views, .now)
        return views
    }
}
