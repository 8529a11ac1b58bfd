import Crypto
import Foundation
import OCI

/// Secrets Ground Control must read back (registry passwords, subscription secrets, its keys),
/// kept in the database only sealed: AES-GCM under a key-encryption key that lives in a file,
/// never in the database or its backups.
///
/// A sealed value reads `gcs1:<key id>:<base64 of nonce, ciphertext, tag>`. The key id (the
/// first eight hex digits of the key's SHA-256) says which key sealed it, so a value sealed under
/// another key is named as such rather than failing as damaged. Each value is bound to where it
/// is kept (`context`, such as `registry.password:harbor`): moved to another row, it does not open.
public struct SecretSealer: Sendable {
    static let prefix = "gcs1"
    // swift-crypto does not mark SymmetricKey Sendable; it is an immutable value, never mutated here.
    nonisolated(unsafe) let key: SymmetricKey
    /// Which key this is, as sealed values name it.
    public let keyID: String

    public init(key: SymmetricKey) {
        self.key = key
        keyID = key.withUnsafeBytes { String(SHA256.hash(data: Data($0)).lowercaseHex.prefix(8)) }
    }

    /// Whether `stored` is a sealed value rather than a plain one written before sealing began.
    public static func isSealed(_ stored: String) -> Bool {
        stored.hasPrefix(prefix + ":")
    }

    public func seal(_ secret: String, context: String) throws(SecretSealingError) -> String {
        // AES-GCM with a 256-bit key and a fresh random nonce does not fail; the guard keeps the
        // impossible out of `try!`.
        guard let box = try? AES.GCM.seal(Data(secret.utf8), using: key, authenticating: Data(context.utf8)),
            let combined = box.combined
        else { throw .damaged(context) }
        return "\(Self.prefix):\(keyID):\(combined.base64EncodedString())"
    }

    public func open(_ sealed: String, context: String) throws(SecretSealingError) -> String {
        let parts = sealed.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == Self.prefix, let combined = Data(base64Encoded: String(parts[2])) else {
            throw .damaged(context)
        }
        guard parts[1] == keyID else {
            throw .otherKey(context, sealedWith: String(parts[1].prefix(16)), have: keyID)
        }
        do {
            let box = try AES.GCM.SealedBox(combined: combined)
            let plain = try AES.GCM.open(box, using: key, authenticating: Data(context.utf8))
            guard let text = String(data: plain, encoding: .utf8) else { throw SecretSealingError.damaged(context) }
            return text
        } catch {
            throw .damaged(context)
        }
    }
}

/// A sealed secret that cannot be opened, naming where it is kept.
public enum SecretSealingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Sealed under another key-encryption key than the one given.
    case otherKey(String, sealedWith: String, have: String)
    /// Not a sealed value, altered, or moved from where it was sealed.
    case damaged(String)

    public var description: String {
        switch self {
        case .otherKey(let context, let sealedWith, let have):
            """
            \(context) was sealed under secret key \(sealedWith), but the secret key file given is \(have): \
            start with the key file the database was written with
            """
        case .damaged(let context):
            "\(context) cannot be opened: it was altered, or moved from where it was sealed"
        }
    }
}
