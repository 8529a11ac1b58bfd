import Foundation
import Logging
import OCI
import RegistryClient
import SatelliteProtocol
import StateContent

extension Replicator {
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
            // Asked to, the state before this one stays whole (untagged), so going back to it (a
            // rollout's abort) moves tags and fetches nothing.
            return try await store.retainOnly(
                tags: commits.keepTags, roots: commits.roots, generation: state.generation,
                keepingPrevious: state.keepPrevious == true
            ) { stored in
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
