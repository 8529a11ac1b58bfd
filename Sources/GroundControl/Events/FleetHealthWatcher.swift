import BackgroundWork
import FleetDomain
import Logging
import ServiceLifecycle

/// Looks at the fleet view every `interval` and records the events its changes make
/// (`satellite.stale`, `.recovered`, `.sync.failed`, `.drift`); the deliverer sends them.
public struct FleetHealthWatcher: Service {
    let fleet: Fleet
    let interval: Duration
    let logger: Logger
    let ready: @Sendable () async -> Void

    public init(
        fleet: Fleet, interval: Duration = .seconds(5), logger: Logger, ready: @escaping @Sendable () async -> Void = {}
    ) {
        self.fleet = fleet
        self.interval = interval
        self.logger = logger
        self.ready = ready
    }

    public func run() async throws {
        await ready()
        var memo = SatelliteService.HealthMemo()
        var pruned = ContinuousClock.now
        await PeriodicWork(every: interval).run {
            do {
                try await fleet.satellites.observeHealth(remembering: &memo)
                if ContinuousClock.now - pruned > .seconds(600) {
                    try await fleet.satellites.forgetEndedCertificates()
                    pruned = .now
                }
            } catch {
                logger.warning("cannot look at the fleet's health", metadata: ["error": "\(error)"])
            }
        }
    }
}
