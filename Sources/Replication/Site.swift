import Foundation
import Logging
import OCI
import RegistryClient
import SatelliteProtocol
import StateContent
import Synchronization

/// The other satellites of this satellite's site, as content sources asked before the upstream,
/// and what this satellite tells them about its own fetching.
///
/// Each blob a sync needs has one fetcher at the site: of this satellite and the peers that
/// answer, the one whose rendezvous weight for the digest is highest. Every satellite computes
/// the same weights, so when a state reaches all of them at once each fetches its share from the
/// upstream and takes the rest from the others (`PeeredSource`).
public final class Site: Sendable {
    /// What the log says of a satellite started without --advertise.
    static let notAdvertised = "no: without --advertise no peer counts on this satellite to fetch for it"

    public struct Options: Sendable {
        /// Longest wait for a peer's answer to a probe (`HEAD`, ping).
        public var probeTimeout: Duration = .seconds(2)
        /// A download from a peer that receives no byte for this long moves on to the next source.
        public var stallTimeout: Duration = .seconds(5)
        /// How long a peer not yet syncing (the state has not reached it) is waited for before
        /// this satellite fetches a blob that peer would have fetched.
        public var startGrace: Duration = .seconds(10)
        /// The longest wait for another satellite's fetch of one blob; then the upstream.
        public var maximumWait: Duration = .seconds(600)
        /// How long a view of which peers answer is used before it is probed again (a sync always
        /// probes afresh).
        public var liveFor: Duration = .seconds(30)

        public init() {}
    }

    /// Where the site's content is, as the desired state and the command line say.
    public struct Configuration: Sendable, Equatable {
        public var name: String
        /// The other satellites, `http(s)://host:port`, normalised, without this one.
        public var peers: [String]
        /// This satellite's own address as its peers list it (`--advertise`); without one it
        /// fetches nothing on the others' behalf and they never wait for it.
        public var ownURL: String?
        public var credential: String
        public var previousCredential: String?
        /// PEM file of the CA that signs the site's satellites' TLS certificates (`--advertise-ca`).
        public var caFile: String?
        /// The certificate this satellite presents to its peers, when it has one.
        public var presenting: PeerClientCertificate?

        public init(
            name: String, peers: [String], ownURL: String?, credential: String, previousCredential: String? = nil,
            caFile: String? = nil
        ) {
            self.name = name
            let own = ownURL.flatMap(DesiredState.normalizedPeerURL)
            self.ownURL = own
            self.peers = peers.compactMap(DesiredState.normalizedPeerURL).filter { $0 != own }
            self.credential = credential
            self.previousCredential = previousCredential
            self.caFile = caFile
        }
    }

    /// Where a download's bytes came from.
    public enum Origin: Sendable {
        case peer
        case upstream
    }

    private struct State {
        var configuration: Configuration?
        var peers: [String: PeerClient] = [:]
        /// Peers that answered the last probe, and when it was made.
        var live: (urls: [String], at: ContinuousClock.Instant)?
        /// Blobs this satellite's sync is about to fetch (peers waiting on it keep waiting).
        var fetching: Set<Digest> = []
        var syncing = false
        /// Blobs a peer sent wrong bytes for: fetched from the upstream alone from then on.
        var distrusted: Set<Digest> = []
    }

    let options: Options
    let logger: Logger
    private let state = Mutex(State())
    private let fromPeers = Atomic<Int64>(0)
    private let fromUpstream = Atomic<Int64>(0)
    private let onBytes: @Sendable (Origin, Int) -> Void

    /// - Parameter onBytes: hears every download's bytes with their origin (for the metrics).
    public init(
        options: Options = Options(), logger: Logger, onBytes: @escaping @Sendable (Origin, Int) -> Void = { _, _ in }
    ) {
        self.options = options
        self.logger = logger
        self.onBytes = onBytes
    }

    /// Follows a new configuration (nil: no site); peers whose address and credential stay the
    /// same keep their connections.
    public func configure(_ configuration: Configuration?) {
        let retired: [PeerClient] = state.withLock { state in
            guard state.configuration != configuration else { return [] }
            let old = state.peers
            state.configuration = configuration
            state.live = nil
            state.peers = [:]
            guard let configuration else { return Array(old.values) }
            for url in configuration.peers {
                if let kept = old[url], kept.credentials == configuration.credentials,
                    kept.caFile == configuration.caFile, kept.presenting == configuration.presenting
                {
                    state.peers[url] = kept
                } else if let client = try? PeerClient(
                    url: url, credentials: configuration.credentials, caFile: configuration.caFile,
                    presenting: configuration.presenting, options: options, logger: logger)
                {
                    state.peers[url] = client
                }
            }
            return old.filter { state.peers[$0.key] !== $0.value }.map(\.value)
        }
        for client in retired { Task { await client.shutdown() } }
        if let configuration {
            logger.info(
                "site configured",
                metadata: [
                    "site": "\(configuration.name)", "peers": "\(configuration.peers.count)",
                    "advertised": "\(configuration.ownURL ?? Self.notAdvertised)",
                ])
        }
    }

    /// Whether any peer is configured.
    public var hasPeers: Bool { state.withLock { !$0.peers.isEmpty } }

    public var configuration: Configuration? { state.withLock { $0.configuration } }

    /// Bytes downloaded from peers and from upstreams since the satellite started.
    public var bytes: (fromPeers: Int64, fromUpstream: Int64) {
        (fromPeers.load(ordering: .relaxed), fromUpstream.load(ordering: .relaxed))
    }

    func count(_ bytes: Int, from origin: Origin) {
        switch origin {
        case .peer: fromPeers.add(Int64(bytes), ordering: .relaxed)
        case .upstream: fromUpstream.add(Int64(bytes), ordering: .relaxed)
        }
        onBytes(origin, bytes)
    }

    // MARK: - What this satellite tells its peers

    /// How this satellite's sync stands towards `digest`, for a peer deciding whether to wait.
    public func plan(for digest: Digest) -> PeerPlan {
        state.withLock { state in
            guard state.syncing else { return .idle }
            return state.fetching.contains(digest) ? .fetching : .other
        }
    }

    func beginFetching(_ digests: some Sequence<Digest>) {
        state.withLock { state in
            state.syncing = true
            state.fetching = Set(digests)
        }
    }

    /// Narrows what peers are told this satellite fetches to `digests`.
    func claim(only digests: [Digest]) {
        state.withLock { $0.fetching = Set(digests) }
    }

    /// This satellite goes to the upstream for `digest` itself (its fetcher declined or is gone):
    /// peers that ask from now on wait for it rather than fetch it too.
    func fetchingItself(_ digest: Digest) {
        state.withLock { state in
            if state.syncing { state.fetching.insert(digest) }
        }
    }

    func finishedFetching(_ digest: Digest) {
        _ = state.withLock { $0.fetching.remove(digest) }
    }

    func endFetching() {
        state.withLock { state in
            state.syncing = false
            state.fetching = []
        }
    }

    func distrust(_ digest: Digest) -> Bool {
        state.withLock { $0.distrusted.insert(digest).inserted }
    }

    func isDistrusted(_ digest: Digest) -> Bool {
        state.withLock { $0.distrusted.contains(digest) }
    }

    // MARK: - Peers

    /// The peers that answer (with our credential), probed now when `fresh` or when the last
    /// probe is older than `liveFor`.
    func livePeers(fresh: Bool = false) async -> [PeerClient] {
        let (cached, all): ([String]?, [PeerClient]) = state.withLock { state in
            let recent = state.live.flatMap { fresh || ContinuousClock.now - $0.at > options.liveFor ? nil : $0.urls }
            return (recent, Array(state.peers.values))
        }
        if let cached { return all.filter { cached.contains($0.url) } }
        var answering: [PeerClient] = []
        await withTaskGroup(of: (PeerClient, (any Error)?).self) { group in
            for peer in all {
                group.addTask {
                    do {
                        try await peer.ping(timeout: self.options.probeTimeout)
                        return (peer, nil)
                    } catch {
                        return (peer, error)
                    }
                }
            }
            for await (peer, error) in group {
                if let error {
                    logger.info("peer does not answer", metadata: ["peer": "\(peer.url)", "error": "\(error)"])
                } else {
                    answering.append(peer)
                }
            }
        }
        let urls = answering.map(\.url)
        state.withLock { $0.live = (urls, .now) }
        return answering
    }

    /// A peer that failed mid-transfer or stopped answering, left out until the next probe.
    func markDown(_ peer: PeerClient) {
        state.withLock { state in
            if let live = state.live { state.live = (live.urls.filter { $0 != peer.url }, live.at) }
        }
    }

    /// The member of the site that fetches `digest` from the upstream: of `peers` and this
    /// satellite, the highest rendezvous weight. nil means this satellite.
    func fetcher(of digest: Digest, among peers: [PeerClient]) -> PeerClient? {
        let own = state.withLock { $0.configuration?.ownURL }
        let candidates: [(url: String, peer: PeerClient?)] =
            peers.map { ($0.url, $0) } + (own.map { [($0, nil)] } ?? [])
        // Ties (never seen with SHA-256) go to the greater URL, the same on every satellite.
        return candidates.max { (Self.weight($0.url, digest), $0.url) < (Self.weight($1.url, digest), $1.url) }?.peer
    }

    /// Rendezvous weight: the same on every satellite for the same member and digest.
    package static func weight(_ member: String, _ digest: Digest) -> UInt64 {
        let hex = DigestHasher.digest(of: Array("\(member)|\(digest)".utf8), algorithm: .sha256).encoded
        return UInt64(hex.prefix(16), radix: 16) ?? 0
    }

    public func shutdown() async {
        let all = state.withLock { state in
            defer { state.peers = [:] }
            return Array(state.peers.values)
        }
        for client in all { await client.shutdown() }
    }
}

/// How a satellite's sync stands towards one blob, as it tells a peer (`Satellite-Plan`).
public enum PeerPlan: String, Sendable {
    /// Not syncing: a state may not have reached it yet.
    case idle
    /// Syncing, and the blob is among what it is fetching.
    case fetching
    /// Syncing, and the blob is not among what it fetches.
    case other

    /// The reply header that carries it.
    public static let header = "Satellite-Plan"
}

extension Site.Configuration {
    var credentials: [String] { [credential] + (previousCredential.map { [$0] } ?? []) }
}
