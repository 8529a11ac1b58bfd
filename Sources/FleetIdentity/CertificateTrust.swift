import Foundation
import SwiftASN1
import X509

/// The authorities whose certificates identify satellites: Ground Control's own, or an
/// operator's SPIFFE trust bundle. A presented chain is checked in two steps, because a TLS
/// connection outlives the moment of its handshake: `path` once per connection (signatures and
/// authority constraints, no clock), `identity` on every request (validity now, the SPIFFE ID).
public struct CertificateTrust: Sendable {
    public let anchors: [Certificate]

    /// Intermediates a chain may hold between a leaf and an anchor (SPIRE with an upstream
    /// authority has one or two).
    static let maximumIntermediates = 4

    public init(anchors: [Certificate]) {
        self.anchors = anchors
    }

    /// The trust bundle in `pem` (one or more certificates).
    public init(bundlePEM pem: String) throws(IdentityError) {
        anchors = try Certificate.all(inPEM: pem, what: "trust bundle")
        guard !anchors.isEmpty else { throw IdentityError(.malformed, "trust bundle: holds no certificate") }
    }

    /// The chain from `presented`'s first certificate (the leaf) to an anchor, through the
    /// intermediates presented after it: each signed by the next, each above the leaf a
    /// certificate authority. Validity in time is not checked here.
    public func path(_ presented: [Certificate]) throws(IdentityError) -> [Certificate] {
        guard let leaf = presented.first else { throw IdentityError(.malformed, "no certificate was presented") }
        var path = [leaf]
        var candidates = Array(presented.dropFirst().prefix(Self.maximumIntermediates))
        while let current = path.last {
            if let anchor = anchors.first(where: { Self.signed(current, by: $0) }) {
                // An anchor presented as the chain's last element is not repeated.
                return current == anchor ? path : path + [anchor]
            }
            guard let index = candidates.firstIndex(where: { Self.isAuthority($0) && Self.signed(current, by: $0) })
            else {
                throw IdentityError(
                    .untrusted, "the certificate was not issued by an authority this Ground Control trusts")
            }
            path.append(candidates.remove(at: index))
        }
        throw IdentityError(.untrusted, "the certificate was not issued by an authority this Ground Control trusts")
    }

    /// `path` of a chain as TLS hands it over: DER, leaf first.
    public func path(der: [[UInt8]]) throws(IdentityError) -> [Certificate] {
        let presented: [Certificate]
        do {
            presented = try der.map { try Certificate(derEncoded: $0) }
        } catch {
            throw IdentityError(.malformed, "the certificate does not parse")
        }
        return try path(presented)
    }

    /// Who the leaf of `path` names, when every certificate of it is valid at `now`; a leaf that
    /// ended less than `grace` ago still names its holder (re-enrolment after a long outage).
    public func identity(
        of path: [Certificate], now: Date, grace: TimeInterval = 0
    ) throws(IdentityError) -> PresentedIdentity {
        try TrustedChain(path: path).identity(now: now, grace: grace)
    }

    static func signed(_ certificate: Certificate, by issuer: Certificate) -> Bool {
        certificate.issuer == issuer.subject
            && issuer.publicKey.isValidSignature(certificate.signature, for: certificate)
    }

    static func isAuthority(_ certificate: Certificate) -> Bool {
        guard case .isCertificateAuthority = (try? certificate.extensions.basicConstraints) ?? .notCertificateAuthority
        else { return false }
        return true
    }
}

/// A chain found to lead to a trusted authority, with what its leaf names read once: what a
/// connection's requests check again and again, where only the clock moves.
public struct TrustedChain: Sendable {
    public let path: [Certificate]
    let presented: PresentedIdentity
    /// The latest start and the earliest end along the path.
    let validFrom: Date
    let validUntil: Date

    /// `path`, leaf first; refused when the leaf names no single SPIFFE ID or is an authority's.
    public init(path: [Certificate]) throws(IdentityError) {
        guard let leaf = path.first else { throw IdentityError(.malformed, "no certificate was presented") }
        if CertificateTrust.isAuthority(leaf) {
            throw IdentityError(.wrongIdentity, "the certificate is a certificate authority's, not a satellite's")
        }
        presented = try PresentedIdentity(leaf)
        self.path = path
        validFrom = path.map(\.notValidBefore).max() ?? leaf.notValidBefore
        validUntil = path.map(\.notValidAfter).min() ?? leaf.notValidAfter
    }

    /// Who the leaf names, when the path is valid at `now`; a leaf that ended less than `grace`
    /// ago still names its holder.
    public func identity(now: Date, grace: TimeInterval = 0) throws(IdentityError) -> PresentedIdentity {
        if now < validFrom || now > validUntil {
            // Rare: the messages are worked out only here.
            for (index, certificate) in path.enumerated() {
                let late = index == 0 ? grace : 0
                let what = index == 0 ? "the certificate" : "its issuer \(certificate.subject)"
                try CertificateAuthority.checkValidity(certificate, at: now, what: what, grace: late)
            }
        }
        return presented
    }
}
