import Foundation

/// What a registry holds that may sign an artifact, as found beside it.
public enum SignatureEvidence: Sendable, Equatable {
    /// A layer of the artifact's `sha256-<hex>.sig` manifest: the simple-signing payload (the
    /// layer's bytes) and the base64 signature from its `dev.cosignproject.cosign/signature`
    /// annotation.
    case simpleSigning(payload: Data, signature: String)
    /// A sigstore bundle (`application/vnd.dev.sigstore.bundle.v0.3+json`), the layer of a
    /// referrer of the artifact.
    case bundle(Data)

    /// The media type of a simple-signing payload layer.
    public static let simpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
    /// The layer annotation holding a simple-signing signature.
    public static let signatureAnnotation = "dev.cosignproject.cosign/signature"
    /// The artifact type (and layer media type) of a sigstore bundle referrer.
    public static let bundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

    /// The tag cosign stores an artifact's simple-signing signatures under: `sha256-<hex>.sig`.
    public static func signatureTag(of digest: String) -> String {
        digest.replacingOccurrences(of: ":", with: "-") + ".sig"
    }

    /// Whether a referrer's artifact type marks it as a sigstore bundle (v0.1 to v0.3).
    public static func isBundle(_ mediaType: String?) -> Bool {
        mediaType?.hasPrefix("application/vnd.dev.sigstore.bundle") == true
    }
}

/// A signature read out of its evidence: the bytes signed, the signature, and the digest the
/// signed statement says it covers.
struct SignedClaim {
    let message: Data
    let signature: Data
    /// `sha256:<hex>` as the signed payload names it.
    let coveredDigest: String
}

extension SignatureEvidence {
    /// The claim this evidence makes. `manifest` is the artifact's manifest bytes, which a bundle's
    /// message signature signs directly.
    func claim(manifest: Data?) throws(SignatureError) -> SignedClaim {
        switch self {
        case .simpleSigning(let payload, let signature):
            guard let signature = Data(base64Encoded: signature.trimmingCharacters(in: .whitespacesAndNewlines)),
                !signature.isEmpty
            else {
                throw SignatureError("the \(Self.signatureAnnotation) annotation is not base64")
            }
            let decoded: SimpleSigningPayload
            do {
                decoded = try JSONDecoder().decode(SimpleSigningPayload.self, from: payload)
            } catch {
                throw SignatureError("the simple-signing payload is not cosign's JSON: \(error)")
            }
            guard decoded.critical.type.lowercased() == "cosign container image signature" else {
                throw SignatureError(
                    """
                    the simple-signing payload's type is '\(decoded.critical.type.prefix(80))', not a cosign \
                    container image signature
                    """
                )
            }
            return SignedClaim(
                message: payload, signature: signature, coveredDigest: decoded.critical.image.dockerManifestDigest)
        case .bundle(let data):
            return try SigstoreBundle.claim(data, manifest: manifest)
        }
    }
}

/// cosign's simple-signing payload: what `critical.image.docker-manifest-digest` names is signed.
struct SimpleSigningPayload: Decodable {
    struct Critical: Decodable {
        struct Image: Decodable {
            let dockerManifestDigest: String

            enum CodingKeys: String, CodingKey {
                case dockerManifestDigest = "docker-manifest-digest"
            }
        }

        let image: Image
        let type: String
    }

    let critical: Critical
}
