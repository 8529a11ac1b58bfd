import NIOCore
import OCI
import RegistryClient
import RegistryStore
import SatelliteProtocol
import StateContent

/// Content already in the store, read back as a sync's source: a bundle being imported (its blobs
/// are in the store, unreferenced, and its `index.json` names the tags) or what the satellite
/// holds, for an export. No network: what is not there is `notFound`.
public struct HeldContentSources: ContentSources {
    public enum Names: Sendable {
        /// An import: tags and referrers as the bundle's `index.json` lists them.
        case bundle(BundleIndex, referrers: [Digest: [Descriptor]])
        /// An export: the store's own tags and referrers.
        case store
    }

    let store: RegistryStore
    let names: Names

    /// For an import: the index's manifests that name a subject become its referrers.
    public static func importing(_ index: BundleIndex, into store: RegistryStore) async throws -> HeldContentSources {
        var referrers: [Digest: [Descriptor]] = [:]
        for descriptor in index.manifests {
            guard let bytes = try await store.smallBlob(descriptor.digest, limit: HeldContentSource.manifestLimit),
                let parsed = try? ParsedManifest(bytes: bytes, contentType: descriptor.mediaType),
                let subject = parsed.subject
            else { continue }
            referrers[subject.digest, default: []].append(
                parsed.descriptor(digest: descriptor.digest, size: Int64(bytes.count)))
        }
        return HeldContentSources(store: store, names: .bundle(index, referrers: referrers))
    }

    /// For an export: everything the store holds.
    public static func exporting(from store: RegistryStore) -> HeldContentSources {
        HeldContentSources(store: store, names: .store)
    }

    public func source(for upstream: DesiredState.Upstream) throws -> any ContentSource {
        HeldContentSource(store: store, names: names, upstream: upstream.name)
    }

    public func shutdown() async {}
}

struct HeldContentSource: ContentSource {
    static let manifestLimit = 4 << 20

    let store: RegistryStore
    let names: HeldContentSources.Names
    let upstream: String

    private func local(_ repository: RepositoryName) throws -> RepositoryName {
        try RepositoryName("\(upstream)/\(repository.value)")
    }

    func resolve(_ repository: RepositoryName, tag: Tag) async throws -> Digest {
        let local = try local(repository)
        switch names {
        case .bundle(let index, _):
            guard let digest = index.tags[BundleLayout.imageName(repository: local.value, tag: tag.value)] else {
                throw ReplicationError(.notFound, "the bundle has no \(local):\(tag)")
            }
            return digest
        case .store:
            let found: Digest?
            do {
                found = try await store.manifestInfo(repository: local, reference: .tag(tag)).digest
            } catch {
                guard [.manifestUnknown, .nameUnknown].contains(error.code) else { throw error }
                found = nil
            }
            guard let found else { throw ReplicationError(.notFound, "the satellite holds no \(local):\(tag)") }
            return found
        }
    }

    func manifest(_ repository: RepositoryName, digest: Digest) async throws -> RemoteManifest {
        switch names {
        case .bundle(let index, _):
            guard let bytes = try await store.smallBlob(digest, limit: Self.manifestLimit) else {
                throw ReplicationError(
                    .notFound,
                    """
                    manifest \(digest) is neither in the bundle nor held here (a delta bundle needs the bundle it \
                    builds on applied first)
                    """
                )
            }
            let mediaType = try index.mediaType(of: digest) ?? ParsedManifest(bytes: bytes, contentType: nil).mediaType
            return RemoteManifest(bytes: bytes, mediaType: mediaType, algorithm: digest.algorithm)
        case .store:
            let stored = try await store.manifest(repository: try local(repository), reference: .digest(digest))
            return RemoteManifest(bytes: stored.bytes, mediaType: stored.mediaType, algorithm: digest.algorithm)
        }
    }

    func referrers(_ repository: RepositoryName, of digest: Digest) async throws -> [Descriptor] {
        switch names {
        case .bundle(_, let referrers): referrers[digest] ?? []
        case .store: try await store.referrers(repository: try local(repository), subject: digest, artifactType: nil)
        }
    }

    func download(_ repository: RepositoryName, digest: Digest, size: Int64, into sink: any BlobSink) async throws {
        try await copyHeld(digest, into: sink)
    }

    func downloadUnsized(_ repository: RepositoryName, digest: Digest, into sink: any BlobSink) async throws {
        try await copyHeld(digest, into: sink)
    }

    private func copyHeld(_ digest: Digest, into sink: any BlobSink) async throws {
        guard try await store.heldBlobSize(digest) != nil else {
            throw ReplicationError(
                .notFound,
                """
                blob \(digest) is neither in the bundle nor held here (a delta bundle needs the bundle it builds \
                on applied first)
                """
            )
        }
        let reader = try await store.openHeldBlob(digest)
        var buffer = ByteBuffer()
        while sink.offset < reader.size {
            buffer.clear()
            try reader.read(at: sink.offset, maxLength: 1 << 20, into: &buffer)
            guard buffer.readableBytes > 0 else {
                throw ReplicationError(.storeError, "blob \(digest) is shorter than recorded")
            }
            try await sink.receive(buffer)
        }
    }
}
