import Foundation
import ImageSignatures
import NIOCore
import OCI
import RegistryClient
import SatelliteProtocol

/// An artifact's signatures read straight from its source, with the verdict: what pull-through
/// checks before it stores a manifest (it has no sync plan to carry them).
public struct FetchedSignatures: Sendable {
    /// A signature manifest with the bytes of everything it names, to store beside the artifact.
    public struct Signature: Sendable {
        public let manifest: RemoteManifest
        /// `sha256-<hex>.sig` for a tag-based signature; nil for a referrer.
        public let tag: Tag?
        public let blobs: [(digest: Digest, bytes: [UInt8])]
    }

    /// Why the policy refuses the artifact; nil when it may be stored.
    public let refusal: String?
    public let signatures: [Signature]

    /// Reads what may sign `digest` in `repository` (the `.sig` tag and bundle referrers) and
    /// judges it by `policy`. `manifest` is the artifact's own manifest bytes.
    public static func fetch(
        of digest: Digest, manifest: [UInt8], in repository: RepositoryName, from source: any ContentSource,
        policy: DesiredState.Verification
    ) async throws -> FetchedSignatures {
        let gate = try SignatureGate(policy: policy)
        var found: [(RemoteManifest, Tag?)] = []
        let tag = try Tag(SignatureEvidence.signatureTag(of: digest.string))
        do {
            let signature = try await source.resolve(repository, tag: tag)
            found.append((try await source.manifest(repository, digest: signature), tag))
        } catch let error where ReplicationError(error).reason == .notFound {
            // No tag-based signature; a bundle may still sign it.
        }
        let referrers = (try? await source.referrers(repository, of: digest)) ?? []
        for referrer in referrers where SignatureEvidence.isBundle(referrer.artifactType) {
            found.append((try await source.manifest(repository, digest: referrer.digest), nil))
        }
        // Everything they name is small (a payload, a bundle, a config): read whole, checked.
        var signatures: [Signature] = []
        for (manifest, tag) in found {
            guard let parsed = try? ParsedManifest(bytes: manifest.bytes, contentType: manifest.mediaType),
                parsed.blobs.allSatisfy({ $0.size <= Int64(SignatureGate.layerLimit) })
            else { continue }
            var blobs: [(digest: Digest, bytes: [UInt8])] = []
            for blob in parsed.blobs {
                let sink = MemorySink()
                try await source.download(repository, digest: blob.digest, size: blob.size, into: sink)
                guard DigestHasher.digest(of: sink.bytes, algorithm: blob.digest.algorithm) == blob.digest else {
                    throw ReplicationError(.digestMismatch, "signature blob \(blob.digest) does not match its digest")
                }
                blobs.append((blob.digest, sink.bytes))
            }
            signatures.append(Signature(manifest: manifest, tag: tag, blobs: blobs))
        }
        let evidence = await SignatureGate.evidence(in: signatures.map(\.manifest)) { layer in
            signatures.lazy.flatMap(\.blobs).first { $0.digest == layer.digest }?.bytes
        }
        let refusal = gate.checker.check(subject: digest, manifest: Data(manifest), evidence: evidence).refusal(
            required: gate.required)
        return FetchedSignatures(refusal: refusal, signatures: signatures)
    }
}

/// A blob small enough to hold in memory.
final class MemorySink: BlobSink {
    private(set) var bytes: [UInt8] = []
    var offset: Int64 { Int64(bytes.count) }

    func receive(_ buffer: ByteBuffer) async throws {
        guard bytes.count + buffer.readableBytes <= SignatureGate.layerLimit else {
            throw ReplicationError(.tooLarge, "a signature blob over \(SignatureGate.layerLimit) bytes")
        }
        bytes += buffer.readableBytesView
    }

    func restart() async throws { bytes = [] }
}
