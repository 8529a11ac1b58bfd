import BackgroundWork
import FleetDomain
import Foundation
import Logging
import ServiceLifecycle

/// Looks at the fleet view every `interval` and records the events its changes make
/// (`satellite.stale`, `.recovered`, `.sync.failed`, `.drift`); the deliverer sends them. Of
/// several processes on one database, the one holding the `health` lease looks.
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
        let owner = UUID().uuidString
        await PeriodicWork(every: interval).run {
            do {
                // One process looks for all: each look reads the whole fleet. The lease outlives
                // a few looks, so a process that stops is replaced within seconds.
                guard try await fleet.holdLease("health", owner: owner, for: interval * 3) else {
                    memo = SatelliteService.HealthMemo()
                    return
                }
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
