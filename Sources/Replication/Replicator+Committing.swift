import ImageSignatures
import Logging
import OCI
import RegistryClient
import RegistryStore
import SatelliteProtocol
import StateContent

extension Replicator {
    /// Downloads every planned blob once, a few at a time.
    func fetchBlobs(_ plans: [ArtifactPlan]) async -> (failures: [Digest: ReplicationError], fetched: Int, bytes: Int64)
    {
        var jobs: [(Descriptor, ArtifactPlan, any ContentSource)] = []
        var seen = Set<Digest>()
        for plan in plans where plan.error == nil {
            guard let source = plan.source else { continue }
            for descriptor in plan.blobs where seen.insert(descriptor.digest).inserted {
                jobs.append((descriptor, plan, source))
            }
        }
        // The site's peers wait on the blobs this satellite fetches for them; those go first.
        let order = await sources.willFetch(jobs.map(\.0.digest))
        defer { sources.endFetching() }
        let position = Dictionary(order.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        jobs.sort { (position[$0.0.digest] ?? Int.max) < (position[$1.0.digest] ?? Int.max) }
        let total = jobs.reduce(Int64(0)) { $0 + $1.0.size }
        var failures: [Digest: ReplicationError] = [:]
        var done = 0
        var doneBytes: Int64 = 0
        let work = jobs
        await forEachConcurrently(count: work.count, limit: options.maxConcurrentBlobs) { index in
            let (descriptor, plan, source) = work[index]
            do {
                guard let local = plan.local else { throw ReplicationError(.configuration, "no local repository") }
                try await self.fetchBlob(descriptor, from: plan.artifact.repository, into: local, source: source)
                return nil as ReplicationError?
            } catch {
                return ReplicationError(error)
            }
        } completed: { index, failure in
            let descriptor = work[index].0
            sources.finishedFetching(descriptor.digest)
            done += 1
            if let failure {
                failures[descriptor.digest] = failure
                logger.warning(
                    "blob failed",
                    metadata: ["digest": "\(descriptor.digest)", "reason": "\(failure.reason)", "error": "\(failure)"])
            } else {
                doneBytes += descriptor.size
                logger.info(
                    "blob fetched",
                    metadata: [
                        "digest": "\(descriptor.digest)", "blobs": "\(done)/\(work.count)",
                        "bytes": "\(doneBytes)/\(total)",
                    ])
            }
        }
        return (failures, jobs.count - failures.count, doneBytes)
    }

    private func fetchBlob(
        _ descriptor: Descriptor, from repository: RepositoryName, into local: RepositoryName, source: any ContentSource
    ) async throws {
        // Another artifact's sync, or a push, may have brought it since planning.
        if try await store.hasBlob(descriptor.digest) { return }
        do {
            try await ingest(descriptor, from: repository, into: local, source: source)
        } catch
            where ReplicationError(error).reason == .digestMismatch && sources.retryAfterMismatch(descriptor.digest)
        {
            logger.warning(
                "blob arrived with the wrong digest; fetching it again from the upstream",
                metadata: ["digest": "\(descriptor.digest)"])
            try await ingest(descriptor, from: repository, into: local, source: source)
        }
    }

    private func ingest(
        _ descriptor: Descriptor, from repository: RepositoryName, into local: RepositoryName, source: any ContentSource
    ) async throws {
        try await store.ingest(descriptor.digest, into: local) { sink in
            let limited = LimitedSink(sink, digest: descriptor.digest, expectedSize: descriptor.size, limiter: limiter)
            try await source.download(repository, digest: descriptor.digest, size: descriptor.size, into: limited)
        }
    }

    /// What the commits leave: each artifact's status and what pruning must keep.
    struct Commits {
        var statuses: [SyncReport.ArtifactStatus] = []
        var keepTags = Set<TagReference>()
        var roots = Set<ManifestReference>()
    }

    /// Commits every plan whose content all arrived and that the signature policy admits, in the
    /// state's order. `wholeOrNothing`: if any artifact fails, none is committed (a bundle).
    func commitAll(
        _ plans: [ArtifactPlan], failedBlobs: [Digest: ReplicationError], wholeOrNothing: Bool = false
    ) async -> Commits {
        // Tags as they stand: a tag already in place costs no write, and a failed artifact keeps
        // the tag it had.
        let currentTags: [TagReference: Digest]
        do {
            currentTags = try await store.tags()
        } catch {
            logger.error(
                "cannot read the store's tags; nothing is committed or pruned this time",
                metadata: ["error": "\(error)"])
            let failure = ReplicationError(error)
            var commits = Commits()
            commits.statuses = plans.map {
                .init(
                    upstream: $0.artifact.upstream, reference: $0.artifact.reference, digest: nil, outcome: .missing,
                    error: failure.message, reason: failure.reason)
            }
            return commits
        }
        var judged = plans
        for index in judged.indices where judged[index].error == nil {
            judged[index].error = await admission(of: judged[index], failedBlobs: failedBlobs)
        }
        var commits = Commits()
        var committed = Set<Digest>()
        let firstFailure = judged.first { $0.error != nil }
        for var plan in judged {
            if let firstFailure, wholeOrNothing, plan.error == nil {
                plan.error = ReplicationError(
                    .configuration,
                    "not applied: \(firstFailure.artifact.reference) failed, and a bundle applies whole or not at all")
            }
            if plan.error == nil {
                plan.error = await commit(plan, currentTags: currentTags, committed: &committed)
            }
            commits.statuses.append(await settle(plan, currentTags: currentTags, into: &commits))
        }
        return commits
    }

    /// Why the plan may not be committed: a blob that failed, or the signature policy's refusal.
    private func admission(of plan: ArtifactPlan, failedBlobs: [Digest: ReplicationError]) async -> ReplicationError? {
        if let failure = plan.blobs.lazy.compactMap({ failedBlobs[$0.digest] }).first { return failure }
        // Refused by the signature policy: nothing of it is stored, and the tag stays.
        if let gate = plan.gate, let digest = plan.digest, let refusal = await refusal(of: digest, by: gate) {
            return ReplicationError(.signature, "\(digest) is withheld by the signature policy: \(refusal)")
        }
        return nil
    }

    /// Stores an artifact's manifests, children first, then moves its tag.
    private func commit(
        _ plan: ArtifactPlan, currentTags: [TagReference: Digest], committed: inout Set<Digest>
    ) async -> ReplicationError? {
        do {
            guard let repository = plan.local else { throw ReplicationError(.configuration, "no local repository") }
            for (manifest, requireChildren) in plan.manifests where !committed.contains(manifest.digest) {
                try await store.putManifest(manifest, in: repository, requireChildren: requireChildren)
                committed.insert(manifest.digest)
            }
            if let tag = plan.artifact.tag, let digest = plan.digest,
                currentTags[TagReference(repository: repository.value, tag: tag.value)] != digest
            {
                try await store.setTag(repository, tag, to: digest)
            }
            if let signature = plan.gate?.signatureTag,
                currentTags[TagReference(repository: repository.value, tag: signature.tag.value)] != signature.digest
            {
                try await store.setTag(repository, signature.tag, to: signature.digest)
            }
            return nil
        } catch {
            let failure = ReplicationError(error)
            logger.warning(
                "cannot commit \(plan.artifact.reference)",
                metadata: ["reason": "\(failure.reason)", "error": "\(failure)"])
            return failure
        }
    }

    /// Decides what the artifact keeps: its new digest, or on failure what the store already has.
    private func settle(
        _ plan: ArtifactPlan, currentTags: [TagReference: Digest], into commits: inout Commits
    ) async -> SyncReport.ArtifactStatus {
        let artifact = plan.artifact
        let repository = plan.local?.value ?? ""
        if plan.error == nil, let digest = plan.digest {
            commits.roots.insert(ManifestReference(repository: repository, digest: digest.string))
            if let tag = artifact.tag { commits.keepTags.insert(TagReference(repository: repository, tag: tag.value)) }
            keepSignatureTag(of: digest, in: repository, plan: plan, currentTags: currentTags, into: &commits)
            return .init(
                upstream: artifact.upstream, reference: artifact.reference, digest: digest.string, outcome: .synced,
                error: nil, reason: nil)
        }
        // Keep serving what we hold: the tag where it points now, or the pinned digest.
        var held: Digest?
        if let tag = artifact.tag {
            let reference = TagReference(repository: repository, tag: tag.value)
            if let digest = currentTags[reference] {
                held = digest
                commits.keepTags.insert(reference)
            }
        } else if let digest = artifact.digest, let local = plan.local,
            (try? await store.hasManifest(local, digest)) == true
        {
            held = digest
        }
        if let held {
            commits.roots.insert(ManifestReference(repository: repository, digest: held.string))
            keepSignatureTag(of: held, in: repository, plan: nil, currentTags: currentTags, into: &commits)
        }
        let failure = plan.error ?? ReplicationError(.configuration, "cannot resolve \(artifact.reference)")
        return .init(
            upstream: artifact.upstream, reference: artifact.reference, digest: held?.string,
            outcome: held == nil ? .missing : .kept,
            error: failure.message, reason: failure.reason)
    }

    /// Keeps the `.sig` tag of a kept digest, set now or before: the signature stays with the image.
    private func keepSignatureTag(
        of digest: Digest, in repository: String, plan: ArtifactPlan?, currentTags: [TagReference: Digest],
        into commits: inout Commits
    ) {
        let reference = TagReference(repository: repository, tag: SignatureEvidence.signatureTag(of: digest.string))
        if plan?.gate?.signatureTag != nil || currentTags[reference] != nil {
            commits.keepTags.insert(reference)
        }
    }
}
