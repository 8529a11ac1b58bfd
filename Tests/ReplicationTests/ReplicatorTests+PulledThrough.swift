import OCI
import RegistryClient
import RegistryStore
import Replication
import SatelliteProtocol
import StateContent
import Testing

extension ReplicatorTests {
    /// A manifest pull-through stored before anyone asked for its layers, then named by the
    /// state: the sync brings the layers in (the store held the manifest, not its tree), so the
    /// satellite can serve the image cut off; the sync after fetches nothing.
    @Test(arguments: StoreKind.allCases)
    func aManifestHeldWithoutItsLayersIsCompletedWhenTheStateNamesIt(_ kind: StoreKind) async throws {
        let fixture = try Fixture(kind)
        defer { fixture.cleanUp() }
        let image = fixture.upstream.addImage(seed: "pulled")
        fixture.upstream.tag("apps/app", "v1", image)
        let local = try RepositoryName("central/apps/app")
        let manifest = try await fixture.upstream.manifest(try RepositoryName("apps/app"), digest: image.digest)
        switch fixture.store {
        case let memory as InMemoryReplicaStore:
            try memory.putManifestAlone(manifest, in: local)
        case let disk as RegistryStore:
            _ = try await disk.putManifest(
                repository: local, reference: .tag(try Tag("v1")), bytes: manifest.bytes,
                contentType: manifest.mediaType, requireChildManifests: false, requireBlobs: false)
        default:
            Issue.record("a store of another kind")
        }
        #expect(try await fixture.store.hasManifest(local, image.digest))
        #expect(try await !fixture.store.hasTree(local, image.digest))

        let first = await fixture.sync([try Self.artifact("apps/app", tag: "v1")])
        #expect(first.succeeded && first.blobsFetched == 3, "\(first.blobsFetched) blobs")
        #expect(try await fixture.store.hasTree(local, image.digest))
        let second = await fixture.sync(generation: 2, [try Self.artifact("apps/app", tag: "v1")])
        #expect(second.succeeded && second.blobsFetched == 0 && second.manifestsFetched == 0)
    }
}
