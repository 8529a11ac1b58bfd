import Foundation
import ImageSignatures
import Logging
import OCI
import RegistryClient
import SatelliteProtocol

/// An artifact's signature policy and what was found upstream to judge it by.
package struct SignatureGate: Sendable {
    let checker: SignatureChecker
    let required: Bool
    /// `sha256-<hex>.sig` and the digest it points at, when the upstream has one: stored and
    /// tagged with the image, so devices can verify again.
    package var signatureTag: (tag: Tag, digest: Digest)?
    /// The manifests that may sign the artifact: the `.sig` manifest and sigstore-bundle referrers.
    var signatureManifests: [RemoteManifest] = []
    /// The artifact's own manifest bytes, which a bundle's message signature signs.
    var subject: Data?

    /// The largest signature layer read (cosign's are a few KiB).
    static let layerLimit = 1 << 20

    init(policy: DesiredState.Verification) throws(ReplicationError) {
        var keys: [TrustedKey] = []
        for (index, pem) in policy.keys.enumerated() {
            do {
                keys.append(try TrustedKey(pem: pem))
            } catch {
                throw ReplicationError(.configuration, "verification.keys[\(index)]: \(error.message)")
            }
        }
        checker = SignatureChecker(keys: keys)
        required = policy.requiresSignature
    }
}

extension Replicator {
    /// Finds what may sign `digest` upstream, and adds it to the walk so that its blobs are
    /// fetched and it is stored with the image.
    func gatherSignatures(
        for digest: Digest, policy: DesiredState.Verification, walk: inout TreeWalk
    ) async throws -> SignatureGate {
        var gate = try SignatureGate(policy: policy)
        gate.subject = Data(
            try await walk.fetches.manifest(walk.repository, digest, upstream: walk.upstream, from: walk.source).bytes)
        let tag = try Tag(SignatureEvidence.signatureTag(of: digest.string))
        do {
            let signature = try await walk.source.resolve(walk.repository, tag: tag)
            try await addTree(signature, platforms: [], referrers: false, to: &walk)
            gate.signatureTag = (tag, signature)
            gate.signatureManifests.append(
                try await walk.fetches.manifest(walk.repository, signature, upstream: walk.upstream, from: walk.source))
        } catch let error where ReplicationError(error).reason == .notFound {
            // No tag-based signature; a bundle may still sign it.
        }
        let referrers: [Descriptor]
        do {
            referrers = try await walk.fetches.referrers(
                walk.repository, of: digest, upstream: walk.upstream, from: walk.source)
        } catch {
            logger.warning(
                "cannot list the referrers that may sign \(walk.repository)@\(digest)", metadata: ["error": "\(error)"])
            referrers = []
        }
        for referrer in referrers where SignatureEvidence.isBundle(referrer.artifactType) {
            try await addTree(referrer.digest, platforms: [], referrers: false, to: &walk)
            gate.signatureManifests.append(
                try await walk.fetches.manifest(
                    walk.repository, referrer.digest, upstream: walk.upstream, from: walk.source))
        }
        return gate
    }

    /// Why the policy refuses `subject`, judged by the signatures now in the store; nil: admitted.
    package func refusal(of subject: Digest, by gate: SignatureGate) async -> String? {
        let evidence = await SignatureGate.evidence(in: gate.signatureManifests) { layer in
            try? await self.store.smallBlob(layer.digest, limit: SignatureGate.layerLimit)
        }
        return gate.checker.check(subject: subject, manifest: gate.subject, evidence: evidence).refusal(
            required: gate.required)
    }
}

extension SignatureGate {
    /// The signatures `manifests` hold, each layer read with `blob`.
    static func evidence(
        in manifests: [RemoteManifest], blob: (Descriptor) async -> [UInt8]?
    ) async -> [SignatureEvidence] {
        var evidence: [SignatureEvidence] = []
        for manifest in manifests {
            guard let parsed = try? ParsedManifest(bytes: manifest.bytes, contentType: manifest.mediaType) else {
                continue
            }
            for layer in parsed.blobs {
                let isSimpleSigning = layer.mediaType == SignatureEvidence.simpleSigningMediaType
                guard isSimpleSigning || SignatureEvidence.isBundle(layer.mediaType), let bytes = await blob(layer)
                else { continue }
                if isSimpleSigning {
                    guard let signature = layer.annotations?[SignatureEvidence.signatureAnnotation] else { continue }
                    evidence.append(.simpleSigning(payload: Data(bytes), signature: signature))
                } else {
                    evidence.append(.bundle(Data(bytes)))
                }
            }
        }
        return evidence
    }
}
