import BackgroundWork
import FleetAPI
import FleetDomain
import Foundation
import Logging
import OCI
import SatelliteProtocol
import ServiceLifecycle

/// Keeps every group's tags resolved to digests, so each satellite's state names exact content.
///
/// A pass runs every `interval`, and soon after an admin changes a group or registry. A tag that
/// cannot be resolved keeps its last digest; a tag that moved upstream changes the group's
/// revision, which raises the generation of every satellite in the group.
public final class TagResolver: Service {
    public typealias AdapterFactory =
        @Sendable (_ url: String, _ username: String?, _ password: String?, _ insecure: Bool) throws ->
        any RegistryAdapter

    private let fleet: Fleet
    let logger: Logger
    private let makeAdapter: AdapterFactory
    private let work: PeriodicWork
    private let ready: @Sendable () async -> Void
    /// The repositories a push event's resolution runs for now (see `resolveOnPush`).
    let pushes = CoalescedRuns()

    /// - Parameter ready: returns once the database can be read.
    public init(
        fleet: Fleet, interval: Duration = .seconds(60), logger: Logger,
        ready: @escaping @Sendable () async -> Void = {},
        makeAdapter: @escaping AdapterFactory = {
            try OCIRegistryAdapter(url: $0, username: $1, password: $2, insecure: $3)
        }
    ) {
        self.fleet = fleet
        self.logger = logger
        self.makeAdapter = makeAdapter
        self.ready = ready
        work = PeriodicWork(every: interval)
    }

    /// Asks for a pass soon.
    public func poke() { work.poke() }

    public func run() async throws {
        await ready()
        // A pass waits on registries: the shutdown does not wait for it.
        await work.runCancellingPass { await self.pass() }
    }

    /// Resolves the tags of `repository` in every group on `registry` at once: a push event named
    /// them. Returns how many groups got new digests.
    @discardableResult
    public func resolve(registry: String, repository: String) async -> Int {
        await pass { group, artifact in group.registry == registry && artifact.covers(repository: repository) }
    }

    /// Resolves every tag of every group once; returns how many groups got new digests.
    @discardableResult
    public func pass() async -> Int {
        await pass(only: nil)
    }

    /// The tags `only` picks (all when nil).
    func pass(only: (@Sendable (GroupRecord, GroupArtifact) -> Bool)?) async -> Int {
        let groups: [GroupRecord]
        do {
            groups = try await fleet.groups.records()
        } catch {
            logger.warning("tag resolution: cannot read groups", metadata: ["error": "\(error)"])
            return 0
        }
        var adapters: [String: any RegistryAdapter] = [:]
        var harbors = HarborListings()
        var resolved: [String: Digest] = [:]
        var changed = 0
        let wanted = { (group: GroupRecord, artifact: GroupArtifact) in
            artifact.digest == nil && (artifact.tag != nil || artifact.isSelection) && (only?(group, artifact) ?? true)
        }
        for group in groups where group.artifacts.contains(where: { wanted(group, $0) }) {
            var artifacts = group.artifacts
            if let harbor = await harbors.client(for: group.registry, fleet: fleet, logger: logger) {
                for index in artifacts.indices where wanted(group, artifacts[index]) {
                    await resolveInHarbor(&artifacts[index], gate: group.scanGate, harbor: harbor, listings: &harbors)
                }
                if await record(group, artifacts) { changed += 1 }
                continue
            }
            guard let adapter = await adapter(for: group.registry, cache: &adapters) else { continue }
            for index in artifacts.indices {
                guard wanted(group, artifacts[index]), let tag = artifacts[index].tag else { continue }
                let key = "\(group.registry)/\(artifacts[index].repository):\(tag)"
                if resolved[key] == nil {
                    do {
                        resolved[key] = try await adapter.resolve(artifacts[index].repository, tag: tag)
                    } catch {
                        if Task.isCancelled { break }
                        logger.warning(
                            "cannot resolve \(artifacts[index].repository):\(tag) in registry \(group.registry)",
                            metadata: ["error": "\(error)"])
                        continue
                    }
                }
                artifacts[index].resolvedDigest = resolved[key]
            }
            if await record(group, artifacts) { changed += 1 }
        }
        for adapter in adapters.values { await adapter.shutdown() }
        await harbors.shutdown()
        return changed
    }

    /// Records a group's new resolutions; returns whether anything changed.
    private func record(_ group: GroupRecord, _ artifacts: [GroupArtifact]) async -> Bool {
        guard artifacts != group.artifacts else { return false }
        do {
            if try await fleet.groups.recordResolutions(group: group.name, readAt: group.revision, artifacts: artifacts)
            {
                logger.info("group \(group.name): tags resolved to new digests")
                return true
            }
            poke()  // the group changed meanwhile: look again
        } catch {
            logger.warning("tag resolution: cannot record group \(group.name)", metadata: ["error": "\(error)"])
        }
        return false
    }

    private func adapter(
        for registry: String, cache: inout [String: any RegistryAdapter]
    ) async -> (any RegistryAdapter)? {
        if let adapter = cache[registry] { return adapter }
        do {
            guard let record = try await fleet.registries.record(registry) else { return nil }
            let adapter = try makeAdapter(record.url, record.username, record.password, record.insecure)
            cache[registry] = adapter
            return adapter
        } catch {
            logger.warning("tag resolution: no client for registry \(registry)", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
