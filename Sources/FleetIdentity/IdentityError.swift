/// Why a SPIFFE ID, a certificate request or a certificate is refused, with a message that names
/// what is wrong; one error type for the module, which its callers map to HTTP once.
public struct IdentityError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// Not what it claims to be: garbage, a truncated PEM, a bad signature on a request.
        case malformed
        /// A key too weak to sign for a satellite (RSA under 2048 bits, an unknown curve).
        case weakKey
        /// Not issued by the authority that is trusted, or not a certificate authority at all.
        case untrusted
        /// Outside its validity: expired, or not yet valid.
        case outsideValidity
        /// Names no identity, or one that is not the caller's.
        case wrongIdentity
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
