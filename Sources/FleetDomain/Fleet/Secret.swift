import Crypto
import Foundation
import OCI

/// Random bearer secrets (registration tokens, credentials, the admin token) and the only form
/// the server keeps of them: a SHA-256 hash. The secrets carry 256 random bits, so a plain hash
/// is as strong as a slow one here and lets a credential be looked up by its hash.
public enum Secret {
    /// A new secret with a readable prefix saying what it is (`gcr_`, `gcs_`, `gca_`).
    public static func make(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return prefix + Data(bytes).base64URL
    }

    /// The stored form of a secret: lower-case hex SHA-256.
    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).lowercaseHex
    }

    static let registrationPrefix = "gcr_"
    static let credentialPrefix = "gcs_"
    static let adminPrefix = "gca_"
}
