import Foundation
import Logging
import OCI
import RegistryClient
import RegistryStore
import SatelliteProtocol

/// Makes a store hold what a desired state names, fetched from its content sources.
///
/// One `sync` resolves and plans every artifact several at a time (each manifest fetched once
/// however many artifacts share it: an index and its platform manifests, or only the selected
/// platforms, plus the referrers of each), downloads the missing blobs several at a time, commits
/// children before parents and a tag only after all it points to is present, then drops tags and
/// manifests the state no longer names. An artifact that cannot be brought in line fails alone,
/// with a typed reason, and keeps whatever the store already holds for it.
public final class Replicator: Sendable {
    public struct Options: Sendable {
        /// Blobs downloaded at once, across all artifacts.
        public var maxConcurrentBlobs: Int = 4
        /// Artifacts resolved and planned at once (small manifest requests).
        public var maxConcurrentPlans: Int = 16
        /// Cap on download bytes per second for the whole satellite; nil for none.
        public var bandwidthLimit: Int64?

        public init() {}
    }

    let store: any ReplicaStore
    let sources: any ContentSources
    let options: Options
    let limiter: BandwidthLimiter?
    let logger: Logger

    public init(store: any ReplicaStore, sources: any ContentSources, options: Options = Options(), logger: Logger) {
        self.store = store
        self.sources = sources
        self.options = options
        self.limiter = options.bandwidthLimit.map { BandwidthLimiter(bytesPerSecond: $0) }
        self.logger = logger
    }

    /// Replicates from upstream registries over HTTP.
    public convenience init(
        store: any ReplicaStore, upstreams: UpstreamSources.Options = UpstreamSources.Options(),
        options: Options = Options(), logger: Logger
    ) {
        self.init(
            store: store, sources: UpstreamSources(options: upstreams, logger: logger), options: options, logger: logger
        )
    }

    /// Closes what the content sources hold open.
    public func shutdown() async {
        await sources.shutdown()
    }

    /// One reconciliation of the store against `state`. `wholeOrNothing` (a bundle's import):
    /// any artifact that fails leaves every artifact uncommitted and nothing pruned.
    public func sync(_ state: DesiredState, wholeOrNothing: Bool = false) async -> SyncReport {
        let started = Date()
        var phases = PhaseClock()
        let fetches = ManifestFetches()
        let plans = await planAll(state, fetches: fetches)
        phases.mark("plan")
        let blobs = await fetchBlobs(plans)
        phases.mark("fetch")
        let commits = await commitAll(plans, failedBlobs: blobs.failures, wholeOrNothing: wholeOrNothing)
        phases.mark("commit")

        // A refused bundle changes nothing, not even what the state drops.
        let refused = wholeOrNothing && commits.statuses.contains { $0.outcome != .synced }
        let removed = refused ? (tags: 0, manifests: 0) : await prune(to: state, keeping: commits)
        phases.mark("prune")
        let finished = Date()
        let manifests = await fetches.counts
        let statuses = commits.statuses
        let report = SyncReport(
            generation: state.generation, startedAt: started, finishedAt: finished, artifacts: statuses,
            manifestsFetched: manifests.count, blobsFetched: blobs.fetched, bytesFetched: manifests.bytes + blobs.bytes,
            tagsRemoved: removed.tags, manifestsRemoved: removed.manifests,
            durationSeconds: finished.timeIntervalSince(started))
        logger.info(
            "sync finished",
            metadata: [
                "generation": "\(state.generation)",
                "synced": "\(statuses.filter { $0.outcome == .synced }.count)/\(statuses.count)",
                "manifests": "\(manifests.count)", "blobs": "\(blobs.fetched)", "bytes": "\(report.bytesFetched)",
                "seconds": "\(String(format: "%.3f", report.durationSeconds))",
                "phases": "\(phases.summary)",
            ])
        return report
    }
}

extension Replicator {
    /// Drops what the state no longer names; what pull-through brought in is a cache, not the
    /// state's to prune.
    private func prune(to state: DesiredState, keeping commits: Commits) async -> (tags: Int, manifests: Int) {
        let proxy = state.proxy ?? []
        do {
            return try await store.retainOnly(tags: commits.keepTags, roots: commits.roots) { stored in
                guard let name = try? RepositoryName(stored),
                    let origin = DesiredState.Artifact.upstreamAndRepository(name),
                    let rule = proxy.first(where: { $0.upstream == origin.upstream })
                else { return false }
                return rule.allows(origin.repository)
            }
        } catch {
            logger.error("could not drop content the state no longer names", metadata: ["error": "\(error)"])
            return (0, 0)
        }
    }
}

/// Wall time per phase of a sync, for the log.
struct PhaseClock {
    private var last = ContinuousClock.now
    private var entries: [(String, Duration)] = []

    mutating func mark(_ phase: String) {
        let now = ContinuousClock.now
        entries.append((phase, now - last))
        last = now
    }

    var summary: String {
        entries.map { name, duration in
            let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
            return "\(name)=\(String(format: "%.1f", ms))ms"
        }.joined(separator: " ")
    }
}
