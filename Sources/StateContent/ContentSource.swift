import OCI
import RegistryClient
import SatelliteProtocol

/// Where a sync's content comes from: an upstream registry, asked through the site's peers
/// (`PeeredSource`); bundles plug in behind the same protocol.
public protocol ContentSource: Sendable {
    /// The digest a tag points at.
    func resolve(_ repository: RepositoryName, tag: Tag) async throws -> Digest
    /// A manifest by digest; its bytes hash to `digest`.
    func manifest(_ repository: RepositoryName, digest: Digest) async throws -> RemoteManifest
    /// The manifests that name `digest` as their subject (signatures, SBOMs).
    func referrers(_ repository: RepositoryName, of digest: Digest) async throws -> [Descriptor]
    /// Streams a blob into `sink`, continuing from `sink.offset`.
    func download(_ repository: RepositoryName, digest: Digest, size: Int64, into sink: any BlobSink) async throws
    /// The same for a blob whose size no descriptor gave (one pulled through on a client's
    /// request): it ends where the upstream's answer ends, and its digest still decides.
    func downloadUnsized(_ repository: RepositoryName, digest: Digest, into sink: any BlobSink) async throws
}

/// Makes the content source for each upstream a desired state names.
public protocol ContentSources: Sendable {
    /// The source for `upstream`; the same one while the upstream's settings stay the same.
    func source(for upstream: DesiredState.Upstream) throws -> any ContentSource
    /// Closes whatever the sources hold open.
    func shutdown() async
    /// Told the blobs a sync is about to download; returns them in the order to download them in.
    func willFetch(_ blobs: [Digest]) async -> [Digest]
    /// One of them is in, or failed for this sync.
    func finishedFetching(_ blob: Digest)
    /// The sync's downloads are over.
    func endFetching()
    /// A blob's bytes did not match its digest: whether fetching it again may get the right ones.
    func retryAfterMismatch(_ blob: Digest) -> Bool
}

extension ContentSources {
    public func willFetch(_ blobs: [Digest]) async -> [Digest] { blobs }
    public func finishedFetching(_ blob: Digest) {}
    public func endFetching() {}
    public func retryAfterMismatch(_ blob: Digest) -> Bool { false }
}
