import Crypto
import FleetIdentity
import Foundation
import HTTPServerSupport
import Logging
import NIOSSL
import OCI
import RegistryServer
import Replication
import SatelliteProtocol
import StateContent
import Synchronization

/// This satellite's part in its site: follows `site:` and `peers:` of each verified state into
/// the content sources (`Site`), and admits the peers' requests to the registry (`SitePeers`).
///
/// Only SHA-256 hashes of the accepted credentials are kept for the check; the current one is
/// held by the site's peer clients, which present it.
final class SitePeering: SitePeers, SyncObserver {
    let site: Site
    /// `--advertise`: the address the other satellites of the site list this one under.
    let ownURL: String?
    /// `--advertise-ca`: the CA of the site's satellites' TLS certificates, trusted for peers too.
    let caFile: String?
    let metrics: SiteMetrics
    let logger: Logger
    private let acceptedHashes = Mutex<[[UInt8]]>([])
    private let servedBytes = Atomic<Int64>(0)
    /// The authority this satellite's own certificate chains to, which its peers' must too.
    let chains = TrustedChains()
    /// The SPIFFE IDs of the site's other members, from the state.
    private let memberIDs = Mutex<Set<String>>([])
    /// What this satellite presents to its peers, and the last state, to configure them again
    /// when the certificate changes.
    private let presented = Mutex<(certificate: PeerClientCertificate?, state: DesiredState?)>((nil, nil))
    /// Peers found by DNS (`--site-peers-dns`), beside the state's.
    private let discoveredPeers = Mutex<[String]>([])

    init(site: Site, ownURL: String?, caFile: String?, metrics: SiteMetrics, logger: Logger) {
        self.site = site
        self.ownURL = ownURL
        self.caFile = caFile
        self.metrics = metrics
        self.logger = logger
    }

    func accepted(_ state: DesiredState) async {
        apply(state)
    }

    func synced(_ state: DesiredState) async {}

    func apply(_ state: DesiredState) {
        let presenting = presented.withLock { presented in
            presented.state = state
            return presented.certificate
        }
        memberIDs.withLock { $0 = Set(state.site?.memberIDs ?? []) }
        guard let described = state.site else {
            acceptedHashes.withLock { $0 = [] }
            site.configure(nil)
            return
        }
        let credential: String
        do {
            credential = try Self.credential(of: described)
        } catch {
            logger.error("the site's peers are not used: \(error)", metadata: ["site": "\(described.name)"])
            acceptedHashes.withLock { $0 = [] }
            site.configure(nil)
            return
        }
        let accepted = [credential] + (described.previousCredential.map { [$0] } ?? [])
        acceptedHashes.withLock { $0 = accepted.map(Self.hash) }
        let listed = (state.peers ?? []).map(\.url)
        let found = discoveredPeers.withLock { $0 }
        var configuration = Site.Configuration(
            name: described.name, peers: listed + found.filter { !listed.contains($0) }, ownURL: ownURL,
            credential: credential, previousCredential: described.previousCredential, caFile: caFile)
        configuration.presenting = presenting
        site.configure(configuration)
    }

    /// The peers DNS names now (`SitePeersDiscovery`); the last state is applied again with them.
    func discovered(_ peers: [String]) {
        discoveredPeers.withLock { $0 = peers }
        if let state = presented.withLock({ $0.state }) { apply(state) }
    }

    /// The certificate this satellite presents from now on (enrolled, renewed, an SVID rotated),
    /// and the authority its peers' certificates must chain to.
    func present(_ identity: ClientIdentity, trust: CertificateTrust?) {
        chains.set(trust)
        var presenting: PeerClientCertificate?
        if let certificate = identity.certificate {
            do {
                presenting = PeerClientCertificate(
                    serial: IssuedCertificate.serial(of: certificate),
                    tls: try identity.presented(on: TLSConfiguration.makeClientConfiguration()))
            } catch {
                logger.error("the satellite's certificate cannot be presented to its peers: \(error)")
            }
        }
        let state = presented.withLock { presented in
            presented.certificate = presenting
            return presented.state
        }
        if let state { apply(state) }
    }

    /// The credential itself, or read from its file (trimmed), checked as the state's would be.
    static func credential(of site: DesiredState.Site) throws -> String {
        if let credential = site.credential { return credential }
        guard let file = site.credentialFile else {
            throw DesiredStateError(field: "site.credential", "is not set")
        }
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8)
        else {
            throw DesiredStateError(field: "site.credentialFile", "cannot read \(file)")
        }
        let credential = text.trimmingCharacters(in: .whitespacesAndNewlines)
        try DesiredState.checkCredential(credential, field: "site.credentialFile (\(file))")
        return credential
    }

    private static func hash(_ credential: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(credential.utf8)))
    }

    // MARK: - SitePeers

    func admits(certificate: PeerCertificate?) -> Bool {
        guard case .trusted(let chain) = certificate,
            let presented = try? chains.chain(chain.leaf, der: { chain.der }).identity(now: Date())
        else { return false }
        return memberIDs.withLock { $0.contains(presented.id.description) }
    }

    var clientCertificates: ClientCertificatePolicy? {
        ClientCertificatePolicy { [chains] der in chains.leads(der) }
    }

    func admits(authorization: String?) -> Bool {
        guard let authorization, let presented = Self.presentedCredential(authorization) else { return false }
        let hash = Self.hash(presented)
        let accepted = acceptedHashes.withLock { $0 }
        // Compared in full every time, so the time taken says nothing about how close a guess was.
        var admitted = false
        for candidate in accepted {
            var difference: UInt8 = 0
            for (a, b) in zip(candidate, hash) { difference |= a ^ b }
            admitted = admitted || difference == 0
        }
        return admitted
    }

    /// The secret in `Basic base64(user:credential)` (what registry clients send after the
    /// challenge) or `Bearer credential`.
    static func presentedCredential(_ header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        switch parts[0].lowercased() {
        case "basic":
            guard let data = Data(base64Encoded: String(parts[1])), let pair = String(data: data, encoding: .utf8),
                let colon = pair.firstIndex(of: ":")
            else { return nil }
            return String(pair[pair.index(after: colon)...])
        case "bearer":
            return String(parts[1])
        default:
            return nil
        }
    }

    func plan(for digest: OCI.Digest) -> String { site.plan(for: digest).rawValue }
    func refused() { metrics.refused() }
    func served(bytes: Int64) {
        servedBytes.add(bytes, ordering: .relaxed)
        metrics.served(bytes: bytes)
    }

    /// This satellite's address and traffic, for status and heartbeat (no traffic: no site).
    var report: (advertised: String?, transfer: TransferCounts?) {
        guard site.configuration != nil else { return (ownURL, nil) }
        let bytes = site.bytes
        return (
            ownURL,
            TransferCounts(
                fromPeersBytes: bytes.fromPeers, fromUpstreamBytes: bytes.fromUpstream,
                toPeersBytes: servedBytes.load(ordering: .relaxed))
        )
    }
}
