import Crypto
import Foundation
import OCI

/// The part of a sigstore bundle a key-based check reads: a DSSE envelope holding an in-toto
/// statement whose subject is the artifact (what `cosign sign --new-bundle-format` makes), or a
/// message signature over the artifact's manifest bytes. The transparency-log and certificate
/// material is not used: the trust is in the policy's keys alone.
enum SigstoreBundle {
    struct Document: Decodable {
        struct MessageSignature: Decodable {
            struct MessageDigest: Decodable {
                let algorithm: String
                let digest: String
            }

            let messageDigest: MessageDigest?
            let signature: String
        }

        struct Envelope: Decodable {
            struct Signature: Decodable {
                let sig: String
            }

            let payload: String
            let payloadType: String
            let signatures: [Signature]
        }

        let mediaType: String
        let messageSignature: MessageSignature?
        let dsseEnvelope: Envelope?
    }

    /// An in-toto statement: only its subjects' digests matter here.
    struct Statement: Decodable {
        struct Subject: Decodable {
            let digest: [String: String]
        }

        let subject: [Subject]
    }

    static func claim(_ data: Data, manifest: Data?) throws(SignatureError) -> SignedClaim {
        let bundle: Document
        do {
            bundle = try JSONDecoder().decode(Document.self, from: data)
        } catch {
            throw SignatureError("the sigstore bundle is not its JSON: \(error)")
        }
        guard SignatureEvidence.isBundle(bundle.mediaType) else {
            throw SignatureError("the bundle's mediaType is '\(bundle.mediaType.prefix(80))', not a sigstore bundle")
        }
        if let envelope = bundle.dsseEnvelope {
            guard let payload = Data(base64Encoded: envelope.payload), let first = envelope.signatures.first,
                let signature = Data(base64Encoded: first.sig)
            else {
                throw SignatureError("the bundle's DSSE envelope has no base64 payload and signature")
            }
            let statement: Statement
            do {
                statement = try JSONDecoder().decode(Statement.self, from: payload)
            } catch {
                throw SignatureError("the bundle's DSSE payload is not an in-toto statement: \(error)")
            }
            let covered = statement.subject.compactMap { $0.digest["sha256"] }.first.map { "sha256:" + $0 } ?? "none"
            return SignedClaim(
                message: preAuthenticationEncoding(type: envelope.payloadType, body: payload), signature: signature,
                coveredDigest: covered)
        }
        if let message = bundle.messageSignature {
            guard let signature = Data(base64Encoded: message.signature) else {
                throw SignatureError("the bundle's message signature is not base64")
            }
            guard let manifest else {
                throw SignatureError("the bundle signs a message, and the artifact's manifest is not at hand")
            }
            // The message is the manifest; the digest the bundle states, when it states one, is
            // the one it claims to cover.
            var covered = DigestHasher.digest(of: manifest).string
            if let stated = message.messageDigest, stated.algorithm == "SHA2_256",
                let raw = Data(base64Encoded: stated.digest)
            {
                covered = "sha256:" + raw.lowercaseHex
            }
            return SignedClaim(message: manifest, signature: signature, coveredDigest: covered)
        }
        throw SignatureError("the bundle holds neither a DSSE envelope nor a message signature")
    }

    /// DSSE's pre-authentication encoding: what the envelope's signature covers.
    static func preAuthenticationEncoding(type: String, body: Data) -> Data {
        var encoded = Data("DSSEv1 \(type.utf8.count) \(type) \(body.count) ".utf8)
        encoded.append(body)
        return encoded
    }
}
