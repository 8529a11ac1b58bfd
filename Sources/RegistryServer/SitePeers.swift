import HTTPServerSupport
import OCI

/// The other satellites of this one's site, which read its store under `/_site/v2/…`: with the
/// site credential, GET and HEAD only, from what the store holds (nothing is fetched for them),
/// blobs by digest whichever repository holds them. The registry server defines the seam; the
/// satellite knows the credential, its peers' identities and what its sync is fetching.
public protocol SitePeers: Sendable {
    /// Whether a request's `Authorization` header carries the site's credential. False while
    /// this satellite belongs to no site.
    func admits(authorization: String?) -> Bool
    /// Whether the client certificate of a request's connection names a satellite of the site,
    /// from the authority this satellite trusts. False with none, or while there is no site.
    func admits(certificate: PeerCertificate?) -> Bool
    /// What the TLS listener asks a presented chain; nil when peers are not admitted by
    /// certificate (the listener then asks for none).
    var clientCertificates: ClientCertificatePolicy? { get }
    /// For a blob the store lacks: what this satellite's sync intends for it, sent to the peer as
    /// the `Satellite-Plan` header (`fetching`, `other` or `idle`).
    func plan(for digest: Digest) -> String
    /// A refused request, for the metrics.
    func refused()
    /// Bytes of a blob sent to a peer, for the metrics.
    func served(bytes: Int64)
}

/// No site: every `/_site` request is refused.
public struct NoSitePeers: SitePeers {
    public init() {}
    public func admits(authorization: String?) -> Bool { false }
    public func admits(certificate: PeerCertificate?) -> Bool { false }
    public var clientCertificates: ClientCertificatePolicy? { nil }
    public func plan(for digest: Digest) -> String { "idle" }
    public func refused() {}
    public func served(bytes: Int64) {}
}
