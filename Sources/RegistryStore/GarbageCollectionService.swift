import BackgroundWork
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
        // A pass under way when the shutdown begins completes.
        await PeriodicWork(every: interval).run(waitFirst: true) {
            do {
                _ = try await store.collectGarbage()
                try store.sweepUploads()
            } catch {
                logger.error("garbage collection failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
