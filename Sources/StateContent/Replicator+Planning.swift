import Logging
import OCI
import RegistryClient
import SatelliteProtocol

/// One artifact's part of a sync: what to fetch and commit, or why it cannot be.
package struct ArtifactPlan: Sendable {
    package let artifact: DesiredState.Artifact
    /// Where the satellite keeps it: `<upstream>/<repository>`, so upstreams never mix.
    package let local: RepositoryName?
    package var source: (any ContentSource)?
    package var digest: Digest?
    /// Manifests to store, children before parents; each once.
    package var manifests: [(manifest: RemoteManifest, requireChildren: Bool)] = []
    /// Blobs the store lacks, each once.
    package var blobs: [Descriptor] = []
    /// The signature policy's part, when one applies and the digest is not admitted yet.
    package var gate: SignatureGate?
    package var error: ReplicationError?

    init(_ artifact: DesiredState.Artifact) {
        self.artifact = artifact
        local = try? artifact.localRepository()
    }
}

extension Replicator {
    /// Resolves and plans every artifact, several at a time.
    package func planAll(_ state: DesiredState, fetches: ManifestFetches) async -> [ArtifactPlan] {
        var sources: [String: Result<any ContentSource, ReplicationError>] = [:]
        for upstream in state.upstreams {
            do {
                sources[upstream.name] = .success(try self.sources.source(for: upstream))
            } catch {
                // A source that cannot be made (bad URL, CA file, password file) is the state's fault.
                sources[upstream.name] = .failure(
                    ReplicationError(.configuration, "upstream \(upstream.name): \(ReplicationError(error).message)"))
            }
        }
        let known = sources
        let artifacts = state.artifacts
        // What is tagged now: a digest a tag already points at was admitted when it was tagged.
        let tagged = (try? await store.tags()) ?? [:]
        var plans = artifacts.map(ArtifactPlan.init)
        await forEachConcurrently(count: artifacts.count, limit: options.maxConcurrentPlans) { index in
            let artifact = artifacts[index]
            switch known[artifact.upstream] {
            case .success(let source)?:
                return await self.plan(
                    artifact, policy: state.verification(for: artifact), tagged: tagged, source: source,
                    fetches: fetches)
            case .failure(let error)?:
                var plan = ArtifactPlan(artifact)
                plan.error = error
                return plan
            case nil:
                var plan = ArtifactPlan(artifact)
                plan.error = ReplicationError(.configuration, "upstream \(artifact.upstream) is not in the state")
                return plan
            }
        } completed: { index, plan in
            plans[index] = plan
            if let error = plan.error {
                logger.warning(
                    "cannot sync \(plan.artifact.reference)",
                    metadata: ["reason": "\(error.reason)", "error": "\(error)"])
            }
        }
        return plans
    }

    private func plan(
        _ artifact: DesiredState.Artifact, policy: DesiredState.Verification?, tagged: [TagReference: Digest],
        source: any ContentSource,
        fetches: ManifestFetches
    ) async -> ArtifactPlan {
        var plan = ArtifactPlan(artifact)
        plan.source = source
        do {
            guard let local = plan.local else {
                throw ReplicationError(
                    .configuration,
                    "\(artifact.upstream)/\(artifact.repository) is longer than a repository name may be")
            }
            let digest: Digest
            if let pinned = artifact.digest {
                digest = pinned
            } else if let tag = artifact.tag {
                digest = try await source.resolve(artifact.repository, tag: tag)
            } else {
                throw ReplicationError(.configuration, "artifact has neither tag nor digest")
            }
            plan.digest = digest
            let platforms = try (artifact.platforms ?? []).map { raw throws(OCIError) in try Platform(parsing: raw) }
            var tree = TreeWalk(
                upstream: artifact.upstream, repository: artifact.repository, local: local, source: source,
                fetches: fetches)
            try await addTree(digest, platforms: platforms, referrers: true, to: &tree)
            if let policy, try await !isAdmitted(digest, tag: artifact.tag, in: local, tagged: tagged) {
                plan.gate = try await gatherSignatures(for: digest, policy: policy, walk: &tree)
            }
            plan.manifests = tree.manifests
            plan.blobs = tree.blobs
        } catch {
            plan.error = ReplicationError(error)
        }
        return plan
    }

    /// Whether `digest` passed the policy before: its tag points at it, or (pinned by digest
    /// alone) it is held. Such an artifact costs no signature requests on a resync.
    private func isAdmitted(
        _ digest: Digest, tag: Tag?, in local: RepositoryName, tagged: [TagReference: Digest]
    ) async throws -> Bool {
        if let tag { return tagged[TagReference(repository: local.value, tag: tag.value)] == digest }
        return try await store.hasManifest(local, digest)
    }

    /// What one artifact's manifest tree adds to its plan.
    struct TreeWalk {
        let upstream: String
        /// The name upstream.
        let repository: RepositoryName
        /// The name in the store.
        let local: RepositoryName
        let source: any ContentSource
        let fetches: ManifestFetches
        var visited = Set<Digest>()
        var manifests: [(manifest: RemoteManifest, requireChildren: Bool)] = []
        var blobs: [Descriptor] = []
        var blobDigests = Set<Digest>()
    }

    /// Adds a manifest and everything under it that the store lacks.
    func addTree(_ digest: Digest, platforms: [Platform], referrers: Bool, to walk: inout TreeWalk) async throws {
        guard walk.visited.insert(digest).inserted else { return }
        // Held with its tree: nothing to fetch. (A manifest pull-through stored alone is held
        // without its layers: walked, so that a state naming it brings them in.)
        if try await store.hasTree(walk.local, digest) { return }

        let manifest = try await walk.fetches.manifest(
            walk.repository, digest, upstream: walk.upstream, from: walk.source)
        let parsed = try ParsedManifest(bytes: manifest.bytes, contentType: manifest.mediaType)
        var requireChildren = true
        switch parsed.kind {
        case .index:
            let children =
                platforms.isEmpty
                ? parsed.manifests
                : parsed.manifests.filter { child in
                    child.platform.map { platform in platforms.contains { $0.selects(platform) } } ?? false
                }
            requireChildren = children.count == parsed.manifests.count
            for child in children {
                try await addTree(child.digest, platforms: [], referrers: referrers, to: &walk)
            }
        case .image:
            for blob in parsed.requiredBlobs where !walk.blobDigests.contains(blob.digest) {
                if try await !store.hasBlob(blob.digest) {
                    walk.blobDigests.insert(blob.digest)
                    walk.blobs.append(blob)
                }
            }
        }
        walk.manifests.append((manifest, requireChildren))
        guard referrers else { return }
        // Signatures, SBOMs and other artifacts about this manifest come along; failing to list
        // or fetch them does not fail the image.
        do {
            for referrer in try await walk.fetches.referrers(
                walk.repository, of: digest, upstream: walk.upstream, from: walk.source)
            {
                try await addTree(referrer.digest, platforms: [], referrers: false, to: &walk)
            }
        } catch {
            logger.warning(
                "cannot bring the referrers along",
                metadata: ["manifest": "\(walk.repository)@\(digest)", "error": "\(error)"])
        }
    }
}

/// The manifests and referrer lists of one sync, each fetched once however many artifacts ask
/// for it at the same time.
package actor ManifestFetches {
    private struct Key: Hashable {
        let upstream: String
        let repository: RepositoryName
        let digest: Digest
    }

    private var manifests: [Key: Task<RemoteManifest, any Error>] = [:]
    private var referrerLists: [Key: Task<[Descriptor], any Error>] = [:]
    package private(set) var counts: (count: Int, bytes: Int64) = (0, 0)

    package init() {}

    func manifest(
        _ repository: RepositoryName, _ digest: Digest, upstream: String, from source: any ContentSource
    ) async throws -> RemoteManifest {
        let key = Key(upstream: upstream, repository: repository, digest: digest)
        if let running = manifests[key] { return try await running.value }
        let task = Task { try await source.manifest(repository, digest: digest) }
        manifests[key] = task
        let manifest = try await task.value
        counts.count += 1
        counts.bytes += Int64(manifest.bytes.count)
        return manifest
    }

    func referrers(
        _ repository: RepositoryName, of digest: Digest, upstream: String, from source: any ContentSource
    ) async throws -> [Descriptor] {
        let key = Key(upstream: upstream, repository: repository, digest: digest)
        if let running = referrerLists[key] { return try await running.value }
        let task = Task { try await source.referrers(repository, of: digest) }
        referrerLists[key] = task
        return try await task.value
    }
}
