import ServiceLifecycle

/// A background loop: a pass every `interval` (plus up to `jitter`, so many processes started
/// together do not keep step), and soon after each `poke()`. It ends at cancellation or when a
/// graceful shutdown begins; a pass under way then finishes, nothing waits out a sleep.
///
/// One `PeriodicWork` runs once: its service's `run()` calls `run(_:)` and returns with it.
public final class PeriodicWork: Sendable {
    public let interval: Duration
    public let jitter: Duration
    private let ticks: AsyncStream<Void>
    private let tick: AsyncStream<Void>.Continuation

    public init(every interval: Duration, jitter: Duration = .zero) {
        self.interval = interval
        self.jitter = jitter
        // Pokes and ticks that come during a pass make one pass after it, not one each.
        (ticks, tick) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for a pass soon (at once when none is under way).
    public func poke() {
        tick.yield()
    }

    /// Runs `pass` at once (unless `waitFirst`) and then as described above; returns when the
    /// loop ends. A pass under way when a graceful shutdown begins finishes.
    public func run(
        isolation: isolated (any Actor)? = #isolation, waitFirst: Bool = false, _ pass: () async -> Void
    ) async {
        let ticker = startTicking(waitFirst: waitFirst)
        defer { ticker.cancel() }
        await withGracefulShutdownHandler {
            for await _ in ticks {
                if Task.isShuttingDownGracefully { break }
                await pass()
            }
        } onGracefulShutdown: { [tick] in
            tick.finish()
        }
    }

    /// `run`, but a pass under way when a graceful shutdown begins is cancelled (one waiting on
    /// other systems, which time out slowly, should not hold the stop up).
    public func runCancellingPass(waitFirst: Bool = false, _ pass: @escaping @Sendable () async -> Void) async {
        let ticker = startTicking(waitFirst: waitFirst)
        defer { ticker.cancel() }
        await cancelWhenGracefulShutdown { [ticks] in
            for await _ in ticks {
                await pass()
            }
        }
    }

    private func startTicking(waitFirst: Bool) -> Task<Void, Never> {
        Task { [tick, interval, jitter] in
            var first = !waitFirst
            while !Task.isCancelled {
                if !first {
                    let extra = jitter > .zero ? Duration.nanoseconds(Int64.random(in: 0...jitter.nanoseconds)) : .zero
                    try? await Task.sleep(for: interval + extra)
                }
                first = false
                tick.yield()
            }
        }
    }
}

extension Duration {
    /// The whole duration in nanoseconds, saturating (durations here are seconds to hours).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
