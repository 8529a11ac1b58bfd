import Foundation
import Logging
import OCI
import RegistryClient
import RegistryStore
import SatelliteProtocol
import Synchronization

/// Makes the store hold what a desired state names, fetched from its upstreams.
///
/// One `sync` resolves tags to digests, fetches each missing manifest tree whole (an index and its
/// platform manifests, or only the selected platforms, plus the referrers of each manifest), the
/// missing blobs several at a time, commits children before parents and a tag only after all it
/// points to is present, then drops tags and manifests the state no longer names. An artifact the
/// upstream cannot deliver keeps whatever the store already holds for it.
public final class Replicator: Sendable {
    public struct Options: Sendable {
        /// Blobs downloaded at once, across all artifacts.
        public var maxConcurrentBlobs: Int = 4
        /// Tags resolved at once (each is one small request).
        public var maxConcurrentResolves: Int = 16
        /// Cap on download bytes per second for the whole satellite; nil for none.
        public var bandwidthLimit: Int64?
        public var retry: RetryPolicy = RetryPolicy()
        /// Longest wait for an upstream to start answering a request.
        public var upstreamTimeout: Duration = .seconds(20)
        /// A download that receives no byte for this long resumes on a new connection.
        public var stallTimeout: Duration = .seconds(15)

        public init() {}
    }

    let store: RegistryStore
    let options: Options
    let limiter: BandwidthLimiter?
    let logger: Logger
    private let clients = Mutex<[String: (upstream: DesiredState.Upstream, client: RegistryClient)]>([:])

    public init(store: RegistryStore, options: Options = Options(), logger: Logger) {
        self.store = store
        self.options = options
        self.limiter = options.bandwidthLimit.map { BandwidthLimiter(bytesPerSecond: $0) }
        self.logger = logger
    }

    /// Closes the connections of every upstream client.
    public func shutdown() async {
        let all = clients.withLock { clients in
            defer { clients.removeAll() }
            return clients.values.map(\.client)
        }
        for client in all { await client.shutdown() }
    }

    /// One reconciliation of the store against `state`.
    public func sync(_ state: DesiredState) async -> SyncReport {
        let started = Date()
        var phases = PhaseClock()
        var run = SyncRun()
        var works: [ArtifactWork] = []
        let resolutions = await resolveAll(state)
        phases.mark("resolve")
        for (artifact, resolution) in zip(state.artifacts, resolutions) {
            works.append(await plan(artifact, resolution, run: &run))
        }
        phases.mark("plan")
        let failedBlobs = await fetchBlobs(works, run: &run)
        phases.mark("fetch")

        // Tags as they stand, so that a tag already in place costs no write.
        let currentTags = Dictionary(
            ((try? await store.allTags()) ?? []).map { (TagReference(repository: $0.repository, tag: $0.tag), $0.digest) },
            uniquingKeysWith: { first, _ in first })
        var statuses: [SyncReport.ArtifactStatus] = []
        var keepTags = Set<TagReference>()
        var roots = Set<ManifestReference>()
        for var work in works {
            if work.error == nil, let failure = work.blobs.lazy.compactMap({ failedBlobs[$0.descriptor.digest] }).first {
                work.error = failure
            }
            if work.error == nil {
                work.error = await commit(work, currentTags: currentTags)
            }
            statuses.append(await settle(work, keepTags: &keepTags, roots: &roots))
        }
        phases.mark("commit")

        var removed = (tags: 0, manifests: 0)
        do {
            removed = try await store.retainOnly(tags: keepTags, roots: roots)
        } catch {
            logger.error("could not drop content the state no longer names", metadata: ["error": "\(error)"])
        }
        phases.mark("prune")
        let finished = Date()
        let report = SyncReport(
            generation: state.generation, startedAt: started, finishedAt: finished, artifacts: statuses,
            manifestsFetched: run.manifestsFetched, blobsFetched: run.blobsFetched, bytesFetched: run.bytesFetched,
            tagsRemoved: removed.tags, manifestsRemoved: removed.manifests,
            durationSeconds: finished.timeIntervalSince(started))
        logger.info(
            "sync finished",
            metadata: [
                "generation": "\(state.generation)",
                "synced": "\(statuses.filter { $0.outcome == .synced }.count)/\(statuses.count)",
                "manifests": "\(run.manifestsFetched)", "blobs": "\(run.blobsFetched)", "bytes": "\(run.bytesFetched)",
                "seconds": "\(String(format: "%.3f", report.durationSeconds))",
                "phases": "\(phases.summary)",
            ])
        return report
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

    // MARK: - Planning

    /// Counters and the set of manifests already planned in this run.
    struct SyncRun {
        var manifestsFetched = 0
        var blobsFetched = 0
        var bytesFetched: Int64 = 0
        var planned = Set<ManifestReference>()
    }

    /// One artifact's part of a sync: what to fetch and commit, or why it cannot be.
    struct ArtifactWork {
        let artifact: DesiredState.Artifact
        var client: RegistryClient?
        var digest: Digest?
        /// Manifests to store, children before parents.
        var manifests: [(manifest: RemoteManifest, requireChildren: Bool)] = []
        var blobs: [(descriptor: Descriptor, repository: RepositoryName)] = []
        var error: String?
    }

    /// Where an artifact's tag points upstream, resolved before planning.
    struct Resolution {
        var client: RegistryClient?
        var digest: Digest?
        var error: String?
    }

    /// Resolves every artifact's digest, several tags at once; digest-pinned ones cost nothing.
    private func resolveAll(_ state: DesiredState) async -> [Resolution] {
        var made: [String: (client: RegistryClient?, error: String?)] = [:]
        for upstream in state.upstreams {
            do {
                made[upstream.name] = (try client(for: upstream), nil)
            } catch {
                made[upstream.name] = (nil, "upstream \(upstream.name): \(error)")
            }
        }
        let clients = made
        var resolutions = [Resolution](repeating: Resolution(), count: state.artifacts.count)
        let artifacts = state.artifacts
        await forEachConcurrently(count: artifacts.count, limit: options.maxConcurrentResolves) { index in
            let artifact = artifacts[index]
            guard let entry = clients[artifact.upstream] else {
                return Resolution(error: "upstream \(artifact.upstream) is not in the state")
            }
            guard let client = entry.client else {
                return Resolution(error: entry.error)
            }
            do {
                return Resolution(client: client, digest: try await self.resolve(artifact, client: client))
            } catch {
                return Resolution(client: client, error: "\(error)")
            }
        } completed: { index, resolution in
            resolutions[index] = resolution
        }
        return resolutions
    }

    private func plan(_ artifact: DesiredState.Artifact, _ resolution: Resolution, run: inout SyncRun) async -> ArtifactWork {
        var work = ArtifactWork(artifact: artifact)
        work.client = resolution.client
        work.digest = resolution.digest
        guard let client = resolution.client, let digest = resolution.digest else {
            work.error = resolution.error ?? "cannot resolve \(artifact.reference)"
            logger.warning("cannot resolve \(artifact.reference)", metadata: ["error": "\(work.error ?? "")"])
            return work
        }
        do {
            let platforms = try (artifact.platforms ?? []).map { raw throws(OCIError) in try Platform(parsing: raw) }
            try await fetchTree(artifact.repository, digest, platforms: platforms, referrers: true, client: client, work: &work, run: &run)
        } catch {
            work.error = "\(error)"
            logger.warning("cannot fetch \(artifact.reference)", metadata: ["error": "\(error)"])
        }
        return work
    }

    private func resolve(_ artifact: DesiredState.Artifact, client: RegistryClient) async throws -> Digest {
        if let digest = artifact.digest { return digest }
        guard let tag = artifact.tag else { throw ClientError(.notFound, "artifact has neither tag nor digest") }
        return try await client.resolve(artifact.repository, tag: tag)
    }

    /// Adds a manifest and everything under it that the store lacks to `work`.
    private func fetchTree(
        _ repository: RepositoryName, _ digest: Digest, platforms: [Platform], referrers: Bool,
        client: RegistryClient, work: inout ArtifactWork, run: inout SyncRun
    ) async throws {
        let key = ManifestReference(repository: repository.value, digest: digest.string)
        guard !run.planned.contains(key) else { return }
        run.planned.insert(key)
        // The store commits children before parents, so a manifest present is a tree complete.
        if try await store.hasManifest(repository, digest) { return }

        let manifest = try await client.manifest(repository, reference: .digest(digest))
        run.manifestsFetched += 1
        run.bytesFetched += Int64(manifest.bytes.count)
        let parsed = try ParsedManifest(bytes: manifest.bytes, contentType: manifest.mediaType)
        var requireChildren = true
        switch parsed.kind {
        case .index:
            let children = platforms.isEmpty
                ? parsed.manifests
                : parsed.manifests.filter { child in
                    child.platform.map { platform in platforms.contains { $0.selects(platform) } } ?? false
                }
            requireChildren = children.count == parsed.manifests.count
            for child in children {
                try await fetchTree(repository, child.digest, platforms: [], referrers: referrers, client: client, work: &work, run: &run)
            }
        case .image:
            for blob in parsed.requiredBlobs where try await !store.hasBlob(blob.digest) {
                if !work.blobs.contains(where: { $0.descriptor.digest == blob.digest }) {
                    work.blobs.append((blob, repository))
                }
            }
        }
        work.manifests.append((manifest, requireChildren))
        guard referrers else { return }
        // Signatures, SBOMs and other artifacts about this manifest come along; failing to list
        // them does not fail the image.
        do {
            for referrer in try await client.referrers(repository, of: digest) {
                try await fetchTree(repository, referrer.digest, platforms: [], referrers: false, client: client, work: &work, run: &run)
            }
        } catch {
            logger.warning("cannot list referrers", metadata: ["manifest": "\(repository)@\(digest)", "error": "\(error)"])
        }
    }

    // MARK: - Fetching and committing

    /// Downloads every planned blob once, a few at a time. Returns the failures by digest.
    private func fetchBlobs(_ works: [ArtifactWork], run: inout SyncRun) async -> [Digest: String] {
        var jobs: [(Descriptor, RepositoryName, RegistryClient)] = []
        var seen = Set<Digest>()
        for work in works where work.error == nil {
            guard let client = work.client else { continue }
            for (descriptor, repository) in work.blobs where seen.insert(descriptor.digest).inserted {
                jobs.append((descriptor, repository, client))
            }
        }
        let total = jobs.reduce(Int64(0)) { $0 + $1.0.size }
        var failures: [Digest: String] = [:]
        var done = 0
        var doneBytes: Int64 = 0
        let work = jobs
        await forEachConcurrently(count: work.count, limit: options.maxConcurrentBlobs) { index in
            let (descriptor, repository, client) = work[index]
            do {
                try await self.fetchBlob(descriptor, from: repository, client: client)
                return nil as String?
            } catch {
                return "\(error)"
            }
        } completed: { index, failure in
            let descriptor = work[index].0
            done += 1
            if let failure {
                failures[descriptor.digest] = failure
                logger.warning("blob failed", metadata: ["digest": "\(descriptor.digest)", "error": "\(failure)"])
            } else {
                doneBytes += descriptor.size
                logger.info("blob fetched", metadata: [
                    "digest": "\(descriptor.digest)", "blobs": "\(done)/\(work.count)", "bytes": "\(doneBytes)/\(total)",
                ])
            }
        }
        run.blobsFetched += jobs.count - failures.count
        run.bytesFetched += doneBytes
        return failures
    }

    private func fetchBlob(_ descriptor: Descriptor, from repository: RepositoryName, client: RegistryClient) async throws {
        if try await store.hasBlob(descriptor.digest) { return }
        let ingest = try store.beginIngest(of: descriptor.digest)
        let sink = IngestSink(ingest, expectedSize: descriptor.size, limiter: limiter)
        do {
            try await client.download(repository, digest: descriptor.digest, size: descriptor.size, into: sink)
            try await ingest.commit(into: repository)
        } catch {
            ingest.discard()
            throw error
        }
    }

    /// Stores an artifact's manifests, children first, then moves its tag. Returns an error text.
    private func commit(_ work: ArtifactWork, currentTags: [TagReference: String]) async -> String? {
        let repository = work.artifact.repository
        do {
            for (manifest, requireChildren) in work.manifests {
                _ = try await store.putManifest(
                    repository: repository, reference: .digest(manifest.digest), bytes: manifest.bytes,
                    contentType: manifest.mediaType, requireChildManifests: requireChildren)
            }
            if let tag = work.artifact.tag, let digest = work.digest,
               currentTags[TagReference(repository: repository.value, tag: tag.value)] != digest.string {
                try await store.setTag(repository, tag, to: digest)
            }
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Decides what the artifact keeps: its new digest, or on failure what the store already has.
    private func settle(
        _ work: ArtifactWork, keepTags: inout Set<TagReference>, roots: inout Set<ManifestReference>
    ) async -> SyncReport.ArtifactStatus {
        let artifact = work.artifact
        let repository = artifact.repository.value
        if work.error == nil, let digest = work.digest {
            roots.insert(ManifestReference(repository: repository, digest: digest.string))
            if let tag = artifact.tag { keepTags.insert(TagReference(repository: repository, tag: tag.value)) }
            return .init(reference: artifact.reference, digest: digest.string, outcome: .synced, error: nil)
        }
        // Keep serving what we hold: the tag where it points now, or the pinned digest.
        var held: Digest?
        if let tag = artifact.tag, let info = try? await store.manifestInfo(repository: artifact.repository, reference: .tag(tag)) {
            held = info.digest
            keepTags.insert(TagReference(repository: repository, tag: tag.value))
        } else if let digest = artifact.digest, (try? await store.hasManifest(artifact.repository, digest)) == true {
            held = digest
        }
        if let held {
            roots.insert(ManifestReference(repository: repository, digest: held.string))
        }
        return .init(reference: artifact.reference, digest: held?.string, outcome: held == nil ? .missing : .kept, error: work.error)
    }

    // MARK: - Clients

    private func client(for upstream: DesiredState.Upstream) throws -> RegistryClient {
        if let cached = clients.withLock({ $0[upstream.name] }), cached.upstream == upstream {
            return cached.client
        }
        var password = upstream.password
        if let file = upstream.passwordFile {
            password = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let client = try RegistryClient(
            .init(
                baseURL: upstream.url, username: upstream.username, password: password,
                insecure: upstream.insecure ?? false, caFile: upstream.caFile, retry: options.retry,
                responseTimeout: options.upstreamTimeout, readTimeout: max(.seconds(60), options.stallTimeout * 2),
                stallTimeout: options.stallTimeout),
            logger: logger)
        let replaced = clients.withLock { clients in
            defer { clients[upstream.name] = (upstream, client) }
            return clients[upstream.name]?.client
        }
        if let replaced { Task { await replaced.shutdown() } }
        return client
    }
}
