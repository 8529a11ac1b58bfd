import FleetDomain
import FleetIdentity
import Foundation
import HTTPServerSupport
import Synchronization
import X509

/// The satellites' certificates as this server sees them: the authority they must chain to
/// (set once the fleet's authority is read at start), the paths found in handshakes, and each
/// request's identity from them.
final class SatelliteCertificates: Sendable {
    private let trust = Mutex<CertificateTrust?>(nil)
    /// Chains found in handshakes, by the leaf's DER: a request reads its connection's chain
    /// here rather than checking signatures and parsing names again. Cleared whole when full.
    private let chains = Mutex<[[UInt8]: TrustedChain]>([:])
    static let chainsKept = 200_000

    func set(_ value: CertificateTrust) {
        trust.withLock { $0 = value }
        chains.withLock { $0.removeAll() }
    }

    /// What the TLS listener asks: does the presented chain lead to the authority?
    var policy: ClientCertificatePolicy {
        ClientCertificatePolicy { [self] der in (try? chain(der.first ?? [], der: { der })) != nil }
    }

    /// The trusted chain whose leaf is `leaf`, from the cache or worked out from `der`.
    private func chain(_ leaf: [UInt8], der: () -> [[UInt8]]) throws(IdentityError) -> TrustedChain {
        if let known = chains.withLock({ $0[leaf] }) { return known }
        guard let trust = trust.withLock({ $0 }) else {
            throw IdentityError(.untrusted, "Ground Control is still starting")
        }
        let chain = try TrustedChain(path: try trust.path(der: der()))
        chains.withLock { chains in
            if chains.count >= Self.chainsKept { chains.removeAll() }
            chains[leaf] = chain
        }
        return chain
    }

    /// The identity a request's client presented, valid now (or ended less than `grace` ago).
    func identity(of peer: PeerCertificate, now: Date, grace: TimeInterval) throws -> PresentedIdentity {
        do {
            switch peer {
            case .trusted(let presented):
                return try chain(presented.leaf, der: { presented.der }).identity(now: now, grace: grace)
            case .untrusted(let leaf):
                // Checked again only to say why: the handshake's check found no path.
                _ = try chain(leaf, der: { [leaf] })
                throw IdentityError(
                    .untrusted, "the certificate was not issued by an authority this Ground Control trusts")
            }
        } catch let error as IdentityError {
            throw GroundControlError(.certificateRefused, "client certificate refused: \(error.message)")
        }
    }
}
