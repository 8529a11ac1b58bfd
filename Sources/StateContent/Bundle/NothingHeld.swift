import OCI
import RegistryClient
import SatelliteProtocol

/// A store that holds nothing: planned against it, a state yields all of its content (what a
/// full bundle carries). Nothing is ever written to it.
public struct NothingHeld: ReplicaStore {
    public init() {}
    public func hasManifest(_ repository: RepositoryName, _ digest: Digest) async throws -> Bool { false }
    public func hasTree(_ repository: RepositoryName, _ digest: Digest) async throws -> Bool { false }
    public func hasBlob(_ digest: Digest) async throws -> Bool { false }
    public func ingest(
        _ digest: Digest, into repository: RepositoryName, _ receive: (any BlobSink) async throws -> Void
    ) async throws {
        throw ReplicationError(.storeError, "nothing is stored while a bundle is planned")
    }
    public func putManifest(
        _ manifest: RemoteManifest, in repository: RepositoryName, requireChildren: Bool
    ) async throws {
        throw ReplicationError(.storeError, "nothing is stored while a bundle is planned")
    }
    public func setTag(_ repository: RepositoryName, _ tag: Tag, to digest: Digest) async throws {
        throw ReplicationError(.storeError, "nothing is stored while a bundle is planned")
    }
    public func smallBlob(_ digest: Digest, limit: Int) async throws -> [UInt8]? { nil }
    public func tags() async throws -> [TagReference: Digest] { [:] }
    public func retainOnly(
        tags: Set<TagReference>, roots: Set<ManifestReference>, generation: Int64, keepingPrevious: Bool,
        sparing spare: @escaping @Sendable (String) -> Bool
    ) async throws -> (tags: Int, manifests: Int) { (0, 0) }
}
