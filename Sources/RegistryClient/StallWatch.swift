import Synchronization

/// When a body's next bytes began to be awaited; time spent in the sink (disk, bandwidth limit)
/// does not count as a stall.
final class StallWatch: Sendable {
    private let since = Mutex<ContinuousClock.Instant?>(nil)

    func waiting() { since.withLock { $0 = .now } }

    func arrived() { since.withLock { $0 = nil } }

    func stalled(longerThan limit: Duration) -> Bool {
        since.withLock { $0.map { ContinuousClock.now - $0 > limit } ?? false }
    }
}

extension RegistryClient {
    /// Runs `body` (which reads a response body, marking its waits on the watch), and fails it
    /// with a network error once a wait lasts longer than `limit`; cancelling the read closes
    /// the connection.
    func withStallWatch(
        _ limit: Duration, what: String, _ body: @escaping @Sendable (StallWatch) async throws -> Void
    ) async throws {
        let watch = StallWatch()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await body(watch) }
            group.addTask {
                let tick = min(limit / 4, .seconds(1))
                while !watch.stalled(longerThan: limit) {
                    try await Task.sleep(for: tick)
                }
                throw ClientError(.network, "\(what): no byte received for \(limit); resuming on a new connection")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }
}
