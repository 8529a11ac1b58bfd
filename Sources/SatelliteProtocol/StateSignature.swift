import Crypto
import Foundation

/// The Ed25519 signature over a desired-state document as Ground Control sends it.
///
/// The signed message is a fixed context line followed by the document's exact bytes, so a
/// signature over a state can never be replayed as a signature over anything else. The response
/// carries it in the `Satellite-State-Signature` header (base64); keep it beside the bytes to check
/// them later, wherever they travel.
public enum StateSignature {
    /// The response header that carries the signature.
    public static let header = "Satellite-State-Signature"

    private static let context = Data("harbor-satellite-state-v1\n".utf8)

    /// The base64 signature of `document`.
    public static func sign(_ document: Data, with key: Curve25519.Signing.PrivateKey) throws -> String {
        try key.signature(for: context + document).base64EncodedString()
    }

    /// Whether `signature` (base64) was made over `document` by the key `publicKey` (raw 32 bytes, base64).
    public static func isValid(_ signature: String, for document: Data, publicKey: String) -> Bool {
        guard let signatureBytes = Data(base64Encoded: signature), let keyBytes = Data(base64Encoded: publicKey),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: keyBytes)
        else { return false }
        return key.isValidSignature(signatureBytes, for: context + document)
    }
}
