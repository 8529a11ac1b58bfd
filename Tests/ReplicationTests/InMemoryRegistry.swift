import Foundation
import NIOCore
import OCI
import RegistryClient
import Replication
import SatelliteProtocol
import StateContent
import Synchronization

/// An upstream registry in memory, with faults to order: a content source for the replicator's
/// unit tests, counting what it is asked for.
final class InMemoryRegistry: ContentSource {
    private struct Contents {
        var tags: [String: Digest] = [:]
        var manifests: [Digest: RemoteManifest] = [:]
        var blobs: [Digest: [UInt8]] = [:]
        var referrers: [Digest: [Descriptor]] = [:]
        /// Requests that fail, by digest or `repository:tag`, with how many more times.
        var faults: [String: (error: ClientError, times: Int)] = [:]
        /// Blobs served with other bytes than their digest says.
        var corrupt: Set<Digest> = []
        var manifestRequests: [Digest: Int] = [:]
        var blobRequests: [Digest: Int] = [:]
        var activeManifestRequests = 0
        var mostManifestRequestsAtOnce = 0
    }

    private let contents = Mutex(Contents())
    /// How long each manifest request takes, so that overlapping ones can be seen.
    let manifestLatency: Duration

    init(manifestLatency: Duration = .zero) { self.manifestLatency = manifestLatency }

    // MARK: - Filling it

    /// Stores a blob; returns its descriptor.
    @discardableResult
    func addBlob(_ bytes: [UInt8], mediaType: String = "application/vnd.oci.image.layer.v1.tar") -> Descriptor {
        let digest = DigestHasher.digest(of: bytes)
        contents.withLock { $0.blobs[digest] = bytes }
        return Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count))
    }

    /// Stores an image manifest of a config and `layers` layers of distinct bytes.
    func addImage(seed: String, layers: Int = 2, subject: Descriptor? = nil, artifactType: String? = nil) -> Descriptor
    {
        let config = addBlob(Array(#"{"seed":"\#(seed)"}"#.utf8), mediaType: MediaType.ociConfig)
        let layerDescriptors = (0..<layers).map { addBlob(Array("layer \($0) of \(seed)".utf8)) }
        var manifest: [String: Any] = [
            "schemaVersion": 2, "mediaType": MediaType.ociManifest,
            "config": Self.json(config), "layers": layerDescriptors.map(Self.json),
        ]
        if let subject { manifest["subject"] = Self.json(subject) }
        if let artifactType { manifest["artifactType"] = artifactType }
        let descriptor = addManifest(manifest, mediaType: MediaType.ociManifest)
        if let subject {
            var referrer = descriptor
            referrer.artifactType = artifactType
            contents.withLock { $0.referrers[subject.digest, default: []].append(referrer) }
        }
        return descriptor
    }

    /// Stores an index of `children`, each with its platform.
    func addIndex(_ children: [(Descriptor, Platform)]) -> Descriptor {
        let manifests = children.map { child, platform -> [String: Any] in
            var entry = Self.json(child)
            entry["platform"] = ["os": platform.os, "architecture": platform.architecture]
            return entry
        }
        return addManifest(
            ["schemaVersion": 2, "mediaType": MediaType.ociIndex, "manifests": manifests], mediaType: MediaType.ociIndex
        )
    }

    func tag(_ repository: String, _ tag: String, _ descriptor: Descriptor) {
        contents.withLock { $0.tags["\(repository):\(tag)"] = descriptor.digest }
    }

    /// The next `times` requests for `key` (a digest, or `repository:tag`) fail with `error`.
    func fail(_ key: String, with error: ClientError, times: Int = .max) {
        contents.withLock { $0.faults[key] = (error, times) }
    }

    /// Serves other bytes than the digest says for this blob.
    func corrupt(_ digest: Digest) {
        contents.withLock { _ = $0.corrupt.insert(digest) }
    }

    func manifestRequests(_ digest: Digest) -> Int { contents.withLock { $0.manifestRequests[digest] ?? 0 } }
    func blobRequests(_ digest: Digest) -> Int { contents.withLock { $0.blobRequests[digest] ?? 0 } }
    var totalBlobRequests: Int { contents.withLock { $0.blobRequests.values.reduce(0, +) } }
    var mostManifestRequestsAtOnce: Int { contents.withLock { $0.mostManifestRequestsAtOnce } }

    // MARK: - ContentSource

    func resolve(_ repository: RepositoryName, tag: Tag) async throws -> Digest {
        let key = "\(repository):\(tag)"
        try fault(key)
        guard let digest = contents.withLock({ $0.tags[key] }) else {
            throw ClientError(.notFound, "\(key): not found upstream")
        }
        return digest
    }

    func manifest(_ repository: RepositoryName, digest: Digest) async throws -> RemoteManifest {
        contents.withLock { contents in
            contents.manifestRequests[digest, default: 0] += 1
            contents.activeManifestRequests += 1
            contents.mostManifestRequestsAtOnce = max(
                contents.mostManifestRequestsAtOnce, contents.activeManifestRequests)
        }
        defer { contents.withLock { $0.activeManifestRequests -= 1 } }
        if manifestLatency > .zero { try await Task.sleep(for: manifestLatency) }
        try fault(digest.string)
        guard let manifest = contents.withLock({ $0.manifests[digest] }) else {
            throw ClientError(.notFound, "manifest \(digest): not found upstream")
        }
        return manifest
    }

    func referrers(_ repository: RepositoryName, of digest: Digest) async throws -> [Descriptor] {
        try fault("referrers \(digest)")
        return contents.withLock { $0.referrers[digest] ?? [] }
    }

    func downloadUnsized(_ repository: RepositoryName, digest: Digest, into sink: any BlobSink) async throws {
        try await download(repository, digest: digest, size: 0, into: sink)
    }

    func download(_ repository: RepositoryName, digest: Digest, size: Int64, into sink: any BlobSink) async throws {
        contents.withLock { $0.blobRequests[digest, default: 0] += 1 }
        try fault(digest.string)
        guard var bytes = contents.withLock({ $0.blobs[digest] }) else {
            throw ClientError(.notFound, "blob \(digest): not found upstream")
        }
        if contents.withLock({ $0.corrupt.contains(digest) }), !bytes.isEmpty { bytes[0] ^= 0xff }
        let start = Int(sink.offset)
        guard start <= bytes.count else { throw ClientError(.invalidResponse, "offset beyond the blob") }
        try await sink.receive(ByteBuffer(bytes: bytes[start...]))
    }

    // MARK: - Helpers

    private func fault(_ key: String) throws {
        let error = contents.withLock { contents -> ClientError? in
            guard let fault = contents.faults[key], fault.times > 0 else { return nil }
            contents.faults[key]?.times -= 1
            return fault.error
        }
        if let error { throw error }
    }

    private func addManifest(_ object: [String: Any], mediaType: String) -> Descriptor {
        let bytes = Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
        let manifest = RemoteManifest(bytes: bytes, mediaType: mediaType)
        contents.withLock { $0.manifests[manifest.digest] = manifest }
        return Descriptor(mediaType: mediaType, digest: manifest.digest, size: Int64(bytes.count))
    }

    private static func json(_ descriptor: Descriptor) -> [String: Any] {
        ["mediaType": descriptor.mediaType, "digest": descriptor.digest.string, "size": descriptor.size]
    }
}

/// Content sources for a state's upstreams, all served by in-memory registries.
struct InMemorySources: ContentSources {
    let registries: [String: InMemoryRegistry]

    func source(for upstream: DesiredState.Upstream) throws -> any ContentSource {
        guard let registry = registries[upstream.name] else {
            throw ReplicationError(.configuration, "no registry named \(upstream.name)")
        }
        return registry
    }

    func shutdown() async {}
}
