import Foundation
import OCI

/// What a signature check concluded about one artifact.
public enum SignatureVerdict: Sendable, Equatable {
    /// A trusted key verified a signature that names this digest.
    case verified(keyKind: String)
    /// Nothing signs it.
    case unsigned
    /// Signatures were found, and none both names this digest and verifies with a trusted key.
    case rejected(String)

    /// Why it may not be admitted under a policy that requires a signature; nil when it may.
    public func refusal(required: Bool) -> String? {
        switch self {
        case .verified: nil
        case .unsigned: required ? "not signed" : nil
        case .rejected(let reason): reason
        }
    }
}

/// Checks cosign-compatible, key-based signatures of artifacts against trusted keys.
public struct SignatureChecker: Sendable {
    public let keys: [TrustedKey]

    public init(keys: [TrustedKey]) {
        self.keys = keys
    }

    /// Judges `subject` by `evidence`. `manifest` is its manifest's bytes (for bundles that sign
    /// the manifest itself).
    public func check(subject: Digest, manifest: Data?, evidence: [SignatureEvidence]) -> SignatureVerdict {
        guard !evidence.isEmpty else { return .unsigned }
        var otherDigest: String?
        var unreadable: String?
        var signedHere = false
        for item in evidence {
            let claim: SignedClaim
            do {
                claim = try item.claim(manifest: manifest)
            } catch {
                unreadable = unreadable ?? error.message
                continue
            }
            guard claim.coveredDigest == subject.string else {
                otherDigest = otherDigest ?? claim.coveredDigest
                continue
            }
            signedHere = true
            if let key = keys.first(where: { $0.verifies(claim.signature, over: claim.message) }) {
                return .verified(keyKind: key.kind)
            }
        }
        if signedHere {
            return .rejected("no trusted key verifies its signature (signed with another key, or altered)")
        }
        if let otherDigest { return .rejected("its signature is for another digest (\(otherDigest.prefix(80)))") }
        return .rejected("its signature cannot be read: \(unreadable ?? "unknown format")")
    }
}
