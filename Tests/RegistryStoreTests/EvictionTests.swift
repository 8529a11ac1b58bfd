import Foundation
import OCI
import RegistryStore
import TestSupport
import Testing

/// Pulled-through content over its budget goes least recently pulled first; what other
/// repositories need stays.
@Suite struct EvictionTests {
    /// Pushes a one-layer image (plus a shared layer, when given) into `repository` and tags it.
    func image(
        _ store: RegistryStore, _ repository: String, layer: [UInt8], shared: [UInt8]? = nil
    ) async throws -> (manifest: Digest, layer: Digest) {
        let name = try RepositoryName(repository)
        let config = Array("{\"r\":\"\(repository)\"}".utf8)
        var layers = [layer]
        if let shared { layers.append(shared) }
        for bytes in [config] + layers {
            try await store.putBlob(repository: name, digest: DigestHasher.digest(of: bytes), body: ByteChunks(bytes))
        }
        let descriptors = layers.map {
            let digest = DigestHasher.digest(of: $0)
            return #"{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\#(digest)","size":\#($0.count)}"#
        }
        let json = """
            {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)","config":{"mediaType":"\(MediaType.ociConfig)",\
            "digest":"\(DigestHasher.digest(of: config))","size":\(config.count)},\
            "layers":[\(descriptors.joined(separator: ","))]}
            """
        let stored = try await store.putManifest(
            repository: name, reference: .tag(try Tag("1")), bytes: Array(json.utf8), contentType: nil)
        return (stored.digest, DigestHasher.digest(of: layer))
    }

    @Test func leastRecentlyPulledGoesFirstAndWhatOthersNeedStays() async throws {
        let directory = try TemporaryDirectory("eviction")
        defer { directory.remove() }
        let store = try RegistryStore(directory: directory.path)
        let shared = patternBytes(100_000, seed: 9)
        let pinned = try await image(store, "pinned/app", layer: patternBytes(50_000, seed: 1), shared: shared)
        let old = try await image(store, "cache/old", layer: patternBytes(300_000, seed: 2), shared: shared)
        let recent = try await image(store, "cache/recent", layer: patternBytes(300_000, seed: 3))
        try await store.recordPulls([
            ManifestReference(repository: "cache/old", digest: old.manifest.string): 10,
            ManifestReference(repository: "cache/recent", digest: recent.manifest.string): 20,
        ])
        let isCached: @Sendable (String) -> Bool = { $0.hasPrefix("cache/") }

        // Within the budget: nothing goes.
        let fits = try await store.evict(toFit: 1_000_000, isCached: isCached, spareSince: 1e12)
        #expect(fits.manifestsEvicted == 0 && fits.cachedBytes > 600_000 && fits.cachedBytes < 700_000, "\(fits)")

        // Over it: the older image goes, its own layer with it; the layer the pinned image shares stays.
        let report = try await store.evict(toFit: 400_000, isCached: isCached, spareSince: 1e12)
        #expect(report.manifestsEvicted == 1 && report.bytesFreed >= 300_000, "\(report)")
        await #expect(throws: StoreError.self) {
            try await store.manifestInfo(repository: try RepositoryName("cache/old"), reference: .digest(old.manifest))
        }
        #expect(try await !store.hasBlob(old.layer))
        #expect(try await store.hasBlob(DigestHasher.digest(of: shared)))
        #expect(
            try await store.manifestInfo(repository: try RepositoryName("cache/recent"), reference: .tag(try Tag("1")))
                .digest == recent.manifest)
        #expect(
            try await store.manifestInfo(
                repository: try RepositoryName("pinned/app"), reference: .digest(pinned.manifest)
            ).digest == pinned.manifest)
        let file = directory.path + "/blobs/sha256/\(old.layer.encoded.prefix(2))/\(old.layer.encoded)"
        #expect(!FileManager.default.fileExists(atPath: file))

        // A manifest pulled since `spareSince` stays, even over the budget.
        let spared = try await store.evict(toFit: 0, isCached: isCached, spareSince: 15)
        #expect(spared.manifestsEvicted == 0, "\(spared)")
    }
}
