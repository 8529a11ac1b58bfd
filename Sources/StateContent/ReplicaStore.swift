import OCI
import RegistryClient

/// Where a sync's content goes: the satellite's store, or an in-memory one in tests.
///
/// Every write is whole or not at all: a blob is kept only when its bytes match its digest, a
/// manifest only when what it names is present.
public protocol ReplicaStore: Sendable {
    func hasManifest(_ repository: RepositoryName, _ digest: Digest) async throws -> Bool
    /// Whether the manifest is held with everything a client may ask for under it: an image's
    /// config and layers, and the same for each child of an index that is held (a child left
    /// out, as a platform filter leaves it, does not count). A manifest pull-through stored
    /// before its blobs were asked for is held without its tree.
    func hasTree(_ repository: RepositoryName, _ digest: Digest) async throws -> Bool
    func hasBlob(_ digest: Digest) async throws -> Bool
    /// Receives one blob: `receive` fills the sink it is given, then the blob is verified and
    /// committed into `repository`. If `receive` throws or the digest differs, nothing is kept.
    func ingest(
        _ digest: Digest, into repository: RepositoryName, _ receive: (any BlobSink) async throws -> Void
    ) async throws
    /// Stores a manifest under its digest. With `requireChildren` an index must find every
    /// manifest it lists already stored.
    func putManifest(_ manifest: RemoteManifest, in repository: RepositoryName, requireChildren: Bool) async throws
    func setTag(_ repository: RepositoryName, _ tag: Tag, to digest: Digest) async throws
    /// A small blob's bytes (a signature, a bundle); nil when it is not held or is larger than
    /// `limit`.
    func smallBlob(_ digest: Digest, limit: Int) async throws -> [UInt8]?
    /// Every tag and where it points.
    func tags() async throws -> [TagReference: Digest]
    /// Drops every tag not in `tags`, then every manifest not reachable from a kept tag or from
    /// `roots` (through index children and referrers). Repositories `spare` says yes to are left
    /// as they are (pulled-through content). `roots` are recorded as `generation`'s; with
    /// `keepingPrevious`, the roots of the generation before it are kept too. Returns how many
    /// of each went.
    func retainOnly(
        tags: Set<TagReference>, roots: Set<ManifestReference>, generation: Int64, keepingPrevious: Bool,
        sparing spare: @escaping @Sendable (String) -> Bool
    ) async throws -> (tags: Int, manifests: Int)
}
