import Crypto
import X509
import _CryptoExtras

/// The keys a satellite's certificate may carry: ECDSA P-256 or P-384 (what satellites make),
/// or RSA of 2048 bits or more (what an operator's tooling may). Anything weaker is refused
/// before it is signed for.
enum KeyStrength {
    static func check(_ key: Certificate.PublicKey) throws(IdentityError) {
        if P256.Signing.PublicKey(key) != nil || P384.Signing.PublicKey(key) != nil { return }
        if let rsa = _RSA.Signing.PublicKey(key) {
            guard rsa.keySizeInBits >= 2048 else {
                throw IdentityError(.weakKey, "an RSA key of \(rsa.keySizeInBits) bits is too weak; use 2048 or more")
            }
            return
        }
        throw IdentityError(.weakKey, "the key must be ECDSA P-256 or P-384, or RSA of 2048 bits or more")
    }
}
