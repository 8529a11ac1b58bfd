import Foundation
import NIOCore
import OCI
import RegistryClient
import SatelliteProtocol

/// Writes a whole bundle: the image layout's marker, the signed state, what the bundle is, the
/// index, then every manifest and blob of `contents` once, except those in `base` (what the
/// receiving satellite holds already: a delta).
public enum BundleMaker {
    public static func write<Output: BundleOutput>(
        state document: [UInt8], signature: String, generation: Int64, since: Int64?, contents: BundleContents,
        leavingOut base: Set<Digest> = [], to writer: BundleWriter<Output>
    ) async throws -> BundleAbout {
        var index = BundleIndex()
        var manifests: [RemoteManifest] = []
        var blobs: [(Descriptor, BundleContents.Entry)] = []
        var seen = Set<Digest>()
        for entry in contents.entries {
            let tagged = [
                entry.artifact.tag.map { (name: $0.value, digest: entry.digest) },
                entry.signatureTag.map { ($0.tag.value, $0.digest) },
            ]
            for manifest in entry.manifests {
                let name = tagged.compactMap { $0 }.first { $0.digest == manifest.digest }?.name
                index.add(
                    Descriptor(
                        mediaType: manifest.mediaType, digest: manifest.digest, size: Int64(manifest.bytes.count),
                        annotations: name.map {
                            [BundleLayout.refName: BundleLayout.imageName(repository: entry.repository.value, tag: $0)]
                        }))
                if !base.contains(manifest.digest), seen.insert(manifest.digest).inserted { manifests.append(manifest) }
            }
            for blob in entry.blobs where !base.contains(blob.digest) && seen.insert(blob.digest).inserted {
                blobs.append((blob, entry))
            }
        }
        let about = BundleAbout(
            generation: generation, since: since, blobs: manifests.count + blobs.count,
            bytes: manifests.reduce(0) { $0 + Int64($1.bytes.count) } + blobs.reduce(0) { $0 + $1.0.size })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]

        try await writer.file(BundleLayout.layoutFile, BundleLayout.layoutContent)
        try await writer.file(BundleLayout.stateFile, document)
        try await writer.file(BundleLayout.signatureFile, Array(signature.utf8))
        try await writer.file(BundleLayout.aboutFile, Array(try encoder.encode(about)))
        try await writer.file(BundleLayout.indexFile, try index.encoded())
        for manifest in manifests {
            try await writer.file(BundleLayout.blobPath(manifest.digest), manifest.bytes)
        }
        for (blob, entry) in blobs {
            try await writer.blob(blob.digest, size: blob.size) { sink in try await entry.download(blob, into: sink) }
        }
        try await writer.finish()
        return about
    }
}
