import NIOCore
import OCI
import RegistryClient
import RegistryStore
import Replication
import StateContent
import Synchronization

/// A satellite store in memory, with the same guarantees as `RegistryStore` for replication:
/// blobs kept only when they match their digest, manifests only when what they name is present.
final class InMemoryReplicaStore: ReplicaStore {
    private struct Contents {
        var blobs: [Digest: [UInt8]] = [:]
        var manifests: [ManifestReference: ParsedManifest] = [:]
        var tags: [TagReference: Digest] = [:]
        var stateRoots: [Int64: Set<ManifestReference>] = [:]
    }

    private let contents = Mutex(Contents())

    func hasManifest(_ repository: RepositoryName, _ digest: Digest) async throws -> Bool {
        contents.withLock {
            $0.manifests[ManifestReference(repository: repository.value, digest: digest.string)] != nil
        }
    }

    func hasTree(_ repository: RepositoryName, _ digest: Digest) async throws -> Bool {
        contents.withLock { contents in
            func complete(_ digest: Digest) -> Bool {
                guard
                    let parsed = contents.manifests[
                        ManifestReference(repository: repository.value, digest: digest.string)]
                else { return false }
                return parsed.requiredBlobs.allSatisfy { contents.blobs[$0.digest] != nil }
                    && parsed.manifests.allSatisfy { child in
                        contents.manifests[ManifestReference(repository: repository.value, digest: child.digest.string)]
                            == nil || complete(child.digest)
                    }
            }
            return complete(digest)
        }
    }

    /// Stores a manifest without what it names, as pull-through keeps one before its blobs are asked for.
    func putManifestAlone(_ manifest: RemoteManifest, in repository: RepositoryName) throws {
        let parsed = try ParsedManifest(bytes: manifest.bytes, contentType: manifest.mediaType)
        contents.withLock {
            $0.manifests[ManifestReference(repository: repository.value, digest: manifest.digest.string)] = parsed
        }
    }

    func hasBlob(_ digest: Digest) async throws -> Bool {
        contents.withLock { $0.blobs[digest] != nil }
    }

    func ingest(
        _ digest: Digest, into repository: RepositoryName, _ receive: (any BlobSink) async throws -> Void
    ) async throws {
        let sink = CollectingSink()
        try await receive(sink)
        let actual = DigestHasher.digest(of: sink.bytes, algorithm: digest.algorithm)
        guard actual == digest else {
            throw StoreError(.digestMismatch, "downloaded content has digest \(actual), not \(digest)")
        }
        contents.withLock { $0.blobs[digest] = sink.bytes }
    }

    func putManifest(_ manifest: RemoteManifest, in repository: RepositoryName, requireChildren: Bool) async throws {
        let parsed = try ParsedManifest(bytes: manifest.bytes, contentType: manifest.mediaType)
        try contents.withLock { contents in
            for blob in parsed.requiredBlobs where contents.blobs[blob.digest] == nil {
                throw StoreError(.manifestBlobUnknown, "blob \(blob.digest) is not in the store")
            }
            if requireChildren {
                for child in parsed.manifests
                where contents.manifests[ManifestReference(repository: repository.value, digest: child.digest.string)]
                    == nil
                {
                    throw StoreError(.manifestBlobUnknown, "manifest \(child.digest) is not in the store")
                }
            }
            contents.manifests[ManifestReference(repository: repository.value, digest: manifest.digest.string)] = parsed
        }
    }

    func setTag(_ repository: RepositoryName, _ tag: Tag, to digest: Digest) async throws {
        try contents.withLock { contents in
            guard contents.manifests[ManifestReference(repository: repository.value, digest: digest.string)] != nil
            else {
                throw StoreError(.manifestUnknown, "\(repository)@\(digest) is not in the store")
            }
            contents.tags[TagReference(repository: repository.value, tag: tag.value)] = digest
        }
    }

    func smallBlob(_ digest: Digest, limit: Int) async throws -> [UInt8]? {
        contents.withLock { $0.blobs[digest] }.flatMap { $0.count <= limit ? $0 : nil }
    }

    func tags() async throws -> [TagReference: Digest] {
        contents.withLock { $0.tags }
    }

    func retainOnly(
        tags keep: Set<TagReference>, roots: Set<ManifestReference>, generation: Int64, keepingPrevious: Bool,
        sparing spare: @escaping @Sendable (String) -> Bool
    ) async throws -> (tags: Int, manifests: Int) {
        contents.withLock { contents in
            var roots = roots
            // As the real store: this generation's roots recorded, the one's before it kept if asked.
            contents.stateRoots[generation] = roots
            let previous = contents.stateRoots.keys.filter { $0 < generation }.max()
            contents.stateRoots = contents.stateRoots.filter { $0.key == generation || $0.key == previous }
            if keepingPrevious { roots.formUnion(previous.flatMap { contents.stateRoots[$0] } ?? []) }
            let droppedTags = contents.tags.keys.filter { !keep.contains($0) && !spare($0.repository) }
            for tag in droppedTags { contents.tags[tag] = nil }
            var reachable = Set<ManifestReference>()
            var frontier = roots.union(
                contents.tags.map { ManifestReference(repository: $0.key.repository, digest: $0.value.string) })
            while let next = frontier.popFirst() {
                guard reachable.insert(next).inserted, let parsed = contents.manifests[next] else { continue }
                for child in parsed.manifests {
                    frontier.insert(ManifestReference(repository: next.repository, digest: child.digest.string))
                }
                for (reference, manifest) in contents.manifests
                where reference.repository == next.repository && manifest.subject?.digest.string == next.digest {
                    frontier.insert(reference)
                }
            }
            let droppedManifests = contents.manifests.keys.filter { !reachable.contains($0) && !spare($0.repository) }
            for manifest in droppedManifests { contents.manifests[manifest] = nil }
            return (droppedTags.count, droppedManifests.count)
        }
    }

    /// Every manifest held, as `repository@digest`.
    var manifestReferences: Set<String> {
        contents.withLock { Set($0.manifests.keys.map { "\($0.repository)@\($0.digest)" }) }
    }
}

/// Gathers a download's bytes.
private final class CollectingSink: BlobSink {
    var bytes: [UInt8] = []
    var offset: Int64 { Int64(bytes.count) }
    func receive(_ buffer: ByteBuffer) async throws { bytes += buffer.readableBytesView }
    func restart() async throws { bytes = [] }
}
