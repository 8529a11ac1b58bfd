import FleetIdentity
import Foundation

/// What Ground Control certifies satellites as: their trust domain, how long a certificate
/// lasts, and the authority that signs them when an operator gives one (`--ca-cert`,
/// `--ca-key-file`) rather than the one Ground Control keeps in its database.
public struct IdentitySettings: Sendable {
    public static let defaultTrustDomain = "harbor-satellite.local"

    public var trustDomain: String
    public var certificateLifetime: TimeInterval
    public var givenAuthority: CertificateAuthority?
    /// How long after its certificate ended a satellite may still renew with it
    /// (`--reenrol-expired`): one offline that long needs no new token.
    public var reenrolExpired: TimeInterval
    /// Satellites' certificates come from an operator's SPIFFE authority (SPIRE), not this
    /// Ground Control's, and name them by this pattern (`--spiffe-id-pattern`): none is issued
    /// here, serials are not recorded, and revoking the satellite is what ends its certificate.
    public var externalPattern: SPIFFEIDPattern?

    public init(
        trustDomain: String = defaultTrustDomain, certificateLifetime: TimeInterval = 86400,
        givenAuthority: CertificateAuthority? = nil, reenrolExpired: TimeInterval = 30 * 86400,
        externalPattern: SPIFFEIDPattern? = nil
    ) {
        self.trustDomain = trustDomain
        self.certificateLifetime = certificateLifetime
        self.givenAuthority = givenAuthority
        self.reenrolExpired = reenrolExpired
        self.externalPattern = externalPattern
    }
}

extension IdentitySettings {
    /// The SPIFFE IDs satellites' certificates carry: the operator's pattern, or that of
    /// Ground Control's own authority.
    public var satellitePattern: SPIFFEIDPattern? {
        externalPattern ?? (try? SPIFFEIDPattern.satellites(in: trustDomain))
    }
}
