/// How satellites prove who they are on their routes (`--satellite-auth`).
public enum SatelliteAuthMode: String, Sendable, CaseIterable {
    /// A client certificate only; bearer credentials are refused.
    case mtls
    /// The bearer credential only; certificates are not asked for.
    case credential
    /// A certificate when one is presented, else the credential: satellites move to
    /// certificates at their next renewal.
    case both

    /// Whether the TLS listener asks clients for certificates.
    var asksForCertificates: Bool { self != .credential }
}
