import OCI
import RegistryClient
import SatelliteProtocol

/// Everything a desired state needs, as a bundle carries it: per artifact the manifests (children
/// before parents) and blobs, with the source to read them from.
public struct BundleContents: Sendable {
    public struct Entry: Sendable {
        public let artifact: DesiredState.Artifact
        /// The name the satellite serves it under.
        public let repository: RepositoryName
        public let digest: Digest
        public let manifests: [RemoteManifest]
        public let blobs: [Descriptor]
        /// The `.sig` tag and its manifest, when the policy found one.
        public let signatureTag: (tag: Tag, digest: Digest)?
        let source: any ContentSource

        /// Streams one of `blobs` into `sink`.
        public func download(_ blob: Descriptor, into sink: any BlobSink) async throws {
            try await source.download(artifact.repository, digest: blob.digest, size: blob.size, into: sink)
        }
    }

    public var entries: [Entry] = []
    /// The artifacts that could not be planned, and why.
    public var failures: [(reference: String, error: ReplicationError)] = []

    /// Every manifest and blob digest, each once: what a satellite holds once it applied them.
    public var digests: Set<Digest> {
        Set(entries.flatMap { $0.manifests.map(\.digest) + $0.blobs.map(\.digest) })
    }
}

extension Replicator {
    /// Plans `state` against this replicator's store without committing anything: with a store
    /// that holds nothing, the whole content of the state.
    public func contents(of state: DesiredState) async -> BundleContents {
        let plans = await planAll(state, fetches: ManifestFetches())
        var contents = BundleContents()
        for plan in plans {
            guard plan.error == nil, let local = plan.local, let digest = plan.digest, let source = plan.source else {
                contents.failures.append(
                    (
                        plan.artifact.reference,
                        plan.error ?? ReplicationError(.configuration, "cannot plan \(plan.artifact.reference)")
                    ))
                continue
            }
            contents.entries.append(
                .init(
                    artifact: plan.artifact, repository: local, digest: digest,
                    manifests: plan.manifests.map(\.manifest), blobs: plan.blobs,
                    signatureTag: plan.gate?.signatureTag, source: source))
        }
        return contents
    }
}
