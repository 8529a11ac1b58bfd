import BackgroundWork
import FleetDomain
import Logging
import ServiceLifecycle

/// Writes heartbeats in batches: a thousand satellites heartbeating every few seconds would
/// otherwise cost a durable commit each. A heartbeat is acknowledged before it is written; one
/// lost in a crash is repeated by the satellite at its next interval. The latest status per
/// satellite wins; quiet heartbeats and long-polls add only when it was heard from.
public actor HeartbeatWriter: Service {
    private let fleet: Fleet
    private let interval: Duration
    private let logger: Logger
    private var pending: [String: SatelliteService.Heartbeat] = [:]

    public init(fleet: Fleet, interval: Duration = .milliseconds(500), logger: Logger) {
        self.fleet = fleet
        self.interval = interval
        self.logger = logger
    }

    public func add(_ heartbeat: SatelliteService.Heartbeat) {
        pending[heartbeat.name] = pending[heartbeat.name]?.merged(with: heartbeat) ?? heartbeat
    }

    public func run() async throws {
        await PeriodicWork(every: interval).run(waitFirst: true) { await flush() }
        await flush()
    }

    /// Writes what is pending now.
    public func flush() async {
        guard !pending.isEmpty else { return }
        let batch = Array(pending.values)
        pending.removeAll()
        do {
            try await fleet.satellites.storeHeartbeats(batch)
        } catch {
            logger.warning(
                "cannot store \(batch.count) heartbeat(s); keeping them for the next try",
                metadata: ["error": "\(error)"])
            for heartbeat in batch {
                pending[heartbeat.name] = pending[heartbeat.name].map(heartbeat.merged) ?? heartbeat
            }
        }
    }
}
