import BackgroundWork
import Logging
import ServiceLifecycle

/// Work on the fleet that runs every `interval` once the server is ready; a failure is logged
/// and the work tried again at the next turn.
struct PeriodicFleetJob: Service {
    let interval: Duration
    /// What the log says when a turn fails.
    let failure: String
    let logger: Logger
    let ready: @Sendable () async -> Void
    let work: @Sendable () async throws -> Void

    func run() async throws {
        await ready()
        await PeriodicWork(every: interval).run {
            do {
                try await work()
            } catch {
                logger.warning("\(failure)", metadata: ["error": "\(error)"])
            }
        }
    }
}
