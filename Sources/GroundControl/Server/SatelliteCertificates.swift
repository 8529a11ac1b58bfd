import FleetDomain
import FleetIdentity
import Foundation
import HTTPServerSupport

/// The satellites' certificates as this server sees them: the authority they must chain to
/// (set once the fleet's authority is read at start), the paths found in handshakes, and each
/// request's identity from them.
final class SatelliteCertificates: Sendable {
    private let chains = TrustedChains()

    func set(_ value: CertificateTrust) {
        chains.set(value)
    }

    /// What the TLS listener asks: does the presented chain lead to the authority?
    var policy: ClientCertificatePolicy {
        ClientCertificatePolicy { [chains] der in chains.leads(der) }
    }

    /// The identity a request's client presented, valid now (or ended less than `grace` ago).
    func identity(of peer: PeerCertificate, now: Date, grace: TimeInterval) throws -> PresentedIdentity {
        do {
            switch peer {
            case .trusted(let presented):
                return try chains.chain(presented.leaf, der: { presented.der }).identity(now: now, grace: grace)
            case .untrusted(let leaf):
                // Checked again only to say why: the handshake's check found no path.
                _ = try chains.chain(leaf, der: { [leaf] })
                throw IdentityError(
                    .untrusted, "the certificate was not issued by an authority this Ground Control trusts")
            }
        } catch let error as IdentityError {
            throw GroundControlError(.certificateRefused, "client certificate refused: \(error.message)")
        }
    }
}
