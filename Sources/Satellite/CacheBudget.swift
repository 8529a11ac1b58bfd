import Logging
import RegistryStore
import ServiceLifecycle

/// Keeps pulled-through content within its disk budget: Ground Control's `cacheMaxBytes` when
/// set, else `--cache-max-bytes`. Least recently pulled goes first; what the state names never
/// counts; a manifest pulled within `minAge` (a minute) stays: its client is fetching its blobs.
///
/// A pass runs after each pull-through fetch and every `interval`; it also writes the
/// pull times `PullThrough` gathered, in one transaction.
final class CacheBudget: Service, Sendable {
    struct Options: Sendable {
        var localMaxBytes: Int64?
        /// Seconds a pulled manifest is spared after its pull.
        var minAge: Double = 60
        /// Between passes when nothing is pulled through: often enough that a manifest past
        /// `minAge` does not wait long, at most 30 s.
        var interval: Duration { .milliseconds(Int64(1000 * min(30, max(1, minAge / 2)))) }
    }

    private let options: Options
    private let pullThrough: PullThrough
    private let store: RegistryStore
    private let metrics: PullThroughMetrics?
    private let logger: Logger
    private var signal: ChangeSignal { pullThrough.cacheGrew }

    init(options: Options, pullThrough: PullThrough, store: RegistryStore, metrics: PullThroughMetrics?, logger: Logger)
    {
        self.options = options
        self.pullThrough = pullThrough
        self.store = store
        self.metrics = metrics
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let seen = self.signal.version
                await self.pass()
                await self.signal.wait(beyond: seen, timeout: self.options.interval)
            }
        }
        await pass()
    }

    /// One pass: the pulls gathered so far, then eviction when over the budget.
    func pass() async {
        do {
            try await store.recordPulls(pullThrough.takePulls())
            guard let budget = pullThrough.cacheBudget ?? options.localMaxBytes else { return }
            let spareSince = store.options.clock() - options.minAge
            let report = try await store.evict(
                toFit: budget, isCached: { [pullThrough] in pullThrough.isCached($0) },
                spareSince: spareSince, activeRepositories: pullThrough.recentActivity(since: spareSince))
            if report.manifestsEvicted > 0 {
                metrics?.evicted(manifests: report.manifestsEvicted, bytes: report.bytesFreed)
            }
        } catch {
            logger.error("cannot keep the pull-through cache within its budget", metadata: ["error": "\(error)"])
        }
    }
}
