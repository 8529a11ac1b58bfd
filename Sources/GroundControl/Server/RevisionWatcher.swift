import FleetDomain
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Follows the fleet-wide revision so long-polls wake when anything changes, whichever process
/// made the change: it reads the revision every `interval`, and at once when this process pokes it.
///
/// When told which satellites a change touched (`affected`), it wakes only their long-polls: a
/// satellite registering or changing settings, or a group changing, does not wake satellites
/// the change cannot touch.
public actor RevisionWatcher: Service {
    /// The satellites whose state may differ between two revisions, or nil for "any".
    public typealias AffectedSatellites = @Sendable (_ from: Int64, _ to: Int64) async -> Set<String>?

    private let fleet: Fleet
    private let interval: Duration
    private let logger: Logger
    private let metrics: GroundControlMetrics?
    /// The last revision read; -1 before the first read.
    public private(set) var current: Int64 = -1 {
        didSet { published.store(current, ordering: .releasing) }
    }
    private let published = Atomic<Int64>(-1)

    /// `current`, readable without waiting for the actor (requests read it on every call).
    public nonisolated var latest: Int64 { published.load(ordering: .acquiring) }
    private var waiters: [Int: (satellite: String?, continuation: CheckedContinuation<Bool, Never>)] = [:]
    /// The waiters whose time runs out in each second (of `ContinuousClock`, from `origin`):
    /// one sweep per read of the revision ends them, where a timer per waiter would cost a
    /// task each for every long-poll held.
    private var expiries: [Int64: [Int]] = [:]
    private var swept: Int64 = 0
    private let origin = ContinuousClock.now
    private var affected: AffectedSatellites?
    private var nextWaiter = 0
    private let ready: @Sendable () async -> Void

    /// - Parameter ready: returns once the database can be read.
    public init(
        fleet: Fleet, interval: Duration = .milliseconds(250), logger: Logger, metrics: GroundControlMetrics? = nil,
        ready: @escaping @Sendable () async -> Void = {}
    ) {
        self.fleet = fleet
        self.interval = interval
        self.logger = logger
        self.metrics = metrics
        self.ready = ready
    }

    /// Narrows the wake-ups after a change to the satellites it touched.
    public func narrowWakeUps(_ affected: @escaping AffectedSatellites) {
        self.affected = affected
    }

    public func run() async throws {
        await ready()
        var nextRead = ContinuousClock.now
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if ContinuousClock.now >= nextRead {
                await poll()
                nextRead = .now + interval
            }
            sweepExpired()
            try? await Task.sleep(for: min(interval, .seconds(1)))
        }
        wakeAll(changed: false)
    }

    /// Reads the revision now (after a change made by this process).
    public func poll() async {
        do {
            let revision = try await fleet.revision()
            if revision != current {
                let previous = current
                current = revision
                guard previous >= 0, let affected, let names = await affected(previous, revision) else {
                    wakeAll(changed: true)
                    return
                }
                let touched = waiters.filter { $0.value.satellite.map(names.contains) ?? true }
                for id in touched.keys { waiters.removeValue(forKey: id) }
                wakeChanged(touched.values.map(\.continuation))
            }
        } catch {
            logger.warning("cannot read the fleet revision", metadata: ["error": "\(error)"])
        }
    }

    /// Waits until the revision differs from `revision` in a way that may touch `satellite` (true),
    /// or `timeout` passes (false).
    public func waitForChange(from revision: Int64, satellite: String? = nil, timeout: Duration) async -> Bool {
        if current != revision { return true }
        let id = nextWaiter
        nextWaiter += 1
        let second = max(swept, Self.second(ContinuousClock.now + timeout - origin, roundingUp: true))
        expiries[second, default: []].append(id)
        // Ends early when the request is cancelled or the server begins a graceful shutdown (the
        // server waits for requests in flight, and a long-poll may have minutes left).
        return await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    waiters[id] = (satellite, continuation)
                }
            } onCancel: {
                Task { await self.resume(id, changed: false) }
            }
        } onGracefulShutdown: {
            Task { await self.resume(id, changed: false) }
        }
    }

    /// Ends the waits whose time has run out.
    private func sweepExpired() {
        let now = Self.second(ContinuousClock.now - origin, roundingUp: false)
        guard now >= swept else { return }
        for second in swept...now {
            for id in expiries.removeValue(forKey: second) ?? [] { resume(id, changed: false) }
        }
        swept = now + 1
    }

    /// Whole seconds: a wait's end rounded up, the time now down, so a wait never ends early
    /// and ends within a second and a sweep after its time.
    private static func second(_ duration: Duration, roundingUp: Bool) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return roundingUp && attoseconds > 0 ? seconds + 1 : seconds
    }

    private func resume(_ id: Int, changed: Bool) {
        waiters.removeValue(forKey: id)?.continuation.resume(returning: changed)
    }

    /// Wakes every waiter: `changed` after a change, not when the watcher stops.
    private func wakeAll(changed: Bool) {
        let woken = waiters.values.map(\.continuation)
        waiters.removeAll()
        if changed {
            wakeChanged(woken)
        } else {
            for continuation in woken { continuation.resume(returning: false) }
        }
    }

    /// Wakes long-polls whose state may have changed, a batch at a time, a few milliseconds apart:
    /// ten thousand long-polls answered at once would starve heartbeats of CPU, and the
    /// satellites would all fetch their images from the registry in the same instant.
    private func wakeChanged(_ woken: [CheckedContinuation<Bool, Never>]) {
        metrics?.longPollsWoken(woken.count)
        guard woken.count > Self.wakeBatch else {
            for continuation in woken { continuation.resume(returning: true) }
            return
        }
        Task {
            for start in stride(from: 0, to: woken.count, by: Self.wakeBatch) {
                for continuation in woken[start..<min(start + Self.wakeBatch, woken.count)] {
                    continuation.resume(returning: true)
                }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    private static let wakeBatch = 100

    /// Long-polls now waiting, for the metrics.
    public var waiting: Int { waiters.count }
}
