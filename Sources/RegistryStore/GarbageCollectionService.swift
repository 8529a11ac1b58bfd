import Logging
import ServiceLifecycle

/// Runs garbage collection and the stale-upload sweep on a schedule while the registry serves.
public struct GarbageCollectionService: Service {
    let store: RegistryStore
    let interval: Duration
    let logger: Logger

    public init(store: RegistryStore, interval: Duration, logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        // Sleeping is cancelled on graceful shutdown; a pass in progress completes first.
        while !Task.isShuttingDownGracefully {
            do {
                try await gracefulShutdown(sleepingFor: interval)
            } catch {
                return
            }
            if Task.isShuttingDownGracefully { return }
            do {
                _ = try await store.collectGarbage()
                try store.sweepUploads()
            } catch {
                logger.error("garbage collection failed", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// Sleeps, returning early (by throwing) when graceful shutdown starts.
func gracefulShutdown(sleepingFor duration: Duration) async throws {
    try await cancelWhenGracefulShutdown {
        try await Task.sleep(for: duration)
    }
}
