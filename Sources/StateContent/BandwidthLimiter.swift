import Synchronization

/// A token bucket shared by every download of a satellite, capping bytes per second.
public final class BandwidthLimiter: Sendable {
    public let bytesPerSecond: Int64
    private struct State {
        var available: Double
        var updated: ContinuousClock.Instant
    }
    private let state: Mutex<State>

    public init(bytesPerSecond: Int64) {
        self.bytesPerSecond = max(bytesPerSecond, 1)
        // One second's worth may go at once; more would break the cap over short windows.
        state = Mutex(State(available: Double(max(bytesPerSecond, 1)), updated: .now))
    }

    /// Waits until `bytes` may be sent under the cap (bytes are counted after they arrived, so a
    /// burst is repaid by waiting before the next).
    public func consume(_ bytes: Int) async {
        let wait: Duration = state.withLock { state in
            let now = ContinuousClock.now
            let elapsed = now - state.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            state.available = min(state.available + seconds * Double(bytesPerSecond), Double(bytesPerSecond))
            state.updated = now
            state.available -= Double(bytes)
            guard state.available < 0 else { return .zero }
            return .seconds(-state.available / Double(bytesPerSecond))
        }
        if wait > .zero {
            try? await Task.sleep(for: wait)
        }
    }
}
