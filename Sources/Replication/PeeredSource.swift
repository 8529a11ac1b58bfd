import Logging
import NIOCore
import OCI
import RegistryClient
import StateContent

/// An upstream's content, asked of the site's peers first.
///
/// Blobs: a peer that holds one sends it; otherwise the site's fetcher for it (`Site.fetcher`)
/// is waited for while it says it is fetching, and when this satellite is the fetcher, or the
/// fetcher fails, stops answering or is not going to fetch it, the upstream sends it. Every
/// download resumes where the last source stopped, and its digest decides as always.
/// Manifests by digest: peers first, then the upstream. Tags and referrers: the upstream, and
/// the peers only when it cannot be reached (the site is cut off).
struct PeeredSource: ContentSource {
    let upstream: any ContentSource
    let upstreamName: String
    let site: Site

    /// The name the peers keep this upstream's repository under.
    private func peerName(_ repository: RepositoryName) -> RepositoryName? {
        try? RepositoryName("\(upstreamName)/\(repository)")
    }

    func resolve(_ repository: RepositoryName, tag: Tag) async throws -> Digest {
        try await upstreamFirst(repository, what: "tag \(tag)") {
            try await $0.resolve($1, tag: tag)
        } upstream: {
            try await upstream.resolve(repository, tag: tag)
        }
    }

    func referrers(_ repository: RepositoryName, of digest: Digest) async throws -> [Descriptor] {
        try await upstreamFirst(repository, what: "referrers of \(digest)") {
            try await $0.referrers($1, of: digest)
        } upstream: {
            try await upstream.referrers(repository, of: digest)
        }
    }

    func manifest(_ repository: RepositoryName, digest: Digest) async throws -> RemoteManifest {
        if let name = peerName(repository), site.hasPeers {
            for peer in ordered(await site.livePeers(), for: digest) {
                if let manifest = try? await peer.withCredential({
                    try await $0.manifest(name, reference: .digest(digest))
                }) {
                    site.count(manifest.bytes.count, from: .peer)
                    return manifest
                }
            }
        }
        let manifest = try await upstream.manifest(repository, digest: digest)
        site.count(manifest.bytes.count, from: .upstream)
        return manifest
    }

    func download(_ repository: RepositoryName, digest: Digest, size: Int64, into sink: any BlobSink) async throws {
        try await fetchBlob(repository, digest: digest, size: size, into: sink, coordinate: true)
    }

    func downloadUnsized(_ repository: RepositoryName, digest: Digest, into sink: any BlobSink) async throws {
        // A client is waiting: take it from a peer that holds it, never wait for one.
        try await fetchBlob(repository, digest: digest, size: nil, into: sink, coordinate: false)
    }

    private func fetchBlob(
        _ repository: RepositoryName, digest: Digest, size: Int64?, into sink: any BlobSink, coordinate: Bool
    ) async throws {
        if let name = peerName(repository), site.hasPeers, !site.isDistrusted(digest),
            try await fetchFromPeers(name, digest: digest, size: size, into: sink, coordinate: coordinate)
        {
            return
        }
        if size != nil { site.fetchingItself(digest) }
        let counting = CountingSink(sink, site: site, origin: .upstream)
        if let size {
            try await upstream.download(repository, digest: digest, size: size, into: counting)
        } else {
            try await upstream.downloadUnsized(repository, digest: digest, into: counting)
        }
    }

    /// Whether a peer delivered the blob: one that holds it, or the site's fetcher once it does.
    private func fetchFromPeers(
        _ name: RepositoryName, digest: Digest, size: Int64?, into sink: any BlobSink, coordinate: Bool
    ) async throws -> Bool {
        var peers = ordered(await site.livePeers(), for: digest)
        let heads = await withTaskGroup(of: (Int, BlobHead?).self) { group in
            for (index, peer) in peers.enumerated() {
                group.addTask { (index, try? await head(peer, name, digest)) }
            }
            var heads = [BlobHead?](repeating: nil, count: peers.count)
            for await (index, head) in group { heads[index] = head }
            return heads
        }
        for (peer, head) in zip(peers, heads) where head?.size != nil {
            if try await download(from: peer, name, digest: digest, size: size, into: sink) { return true }
            peers.removeAll { $0 === peer }
        }
        guard coordinate else { return false }
        let started = ContinuousClock.now
        var pause = Duration.milliseconds(50)
        var idleSince: [String: ContinuousClock.Instant] = [:]
        while let fetcher = site.fetcher(of: digest, among: peers) {
            guard ContinuousClock.now - started < site.options.maximumWait else {
                site.logger.warning(
                    "gave up waiting for a peer's fetch", metadata: ["peer": "\(fetcher.url)", "digest": "\(digest)"])
                return false
            }
            guard let head = try? await head(fetcher, name, digest) else {
                site.markDown(fetcher)
                peers.removeAll { $0 === fetcher }
                continue
            }
            if head.size != nil {
                if try await download(from: fetcher, name, digest: digest, size: size, into: sink) { return true }
                peers.removeAll { $0 === fetcher }
                continue
            }
            switch head.headers[PeerPlan.header.lowercased()].flatMap(PeerPlan.init(rawValue:)) ?? .idle {
            case .fetching:
                idleSince[fetcher.url] = nil
            case .other:
                // It is not going to fetch it, or its fetch failed.
                peers.removeAll { $0 === fetcher }
                continue
            case .idle:
                let since = idleSince[fetcher.url] ?? .now
                idleSince[fetcher.url] = since
                if ContinuousClock.now - since >= site.options.startGrace {
                    peers.removeAll { $0 === fetcher }
                    continue
                }
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(500))
        }
        return false
    }

    private func head(_ peer: PeerClient, _ name: RepositoryName, _ digest: Digest) async throws -> BlobHead {
        try await peer.withCredential {
            try await $0.headBlob(name, digest: digest, timeout: site.options.probeTimeout, headers: [PeerPlan.header])
        }
    }

    /// Whether `peer` sent the whole blob. A network failure moves on (the sink keeps what arrived,
    /// and the next source resumes from there); a failure of the sink itself is thrown.
    private func download(
        from peer: PeerClient, _ name: RepositoryName, digest: Digest, size: Int64?, into sink: any BlobSink
    ) async throws -> Bool {
        let counting = CountingSink(sink, site: site, origin: .peer)
        do {
            try await peer.withCredential { try await $0.download(name, digest: digest, size: size, into: counting) }
            return true
        } catch let error as ClientError {
            site.logger.info(
                "peer download failed; trying the next source",
                metadata: [
                    "peer": "\(peer.url)", "digest": "\(digest)", "offset": "\(sink.offset)", "error": "\(error)",
                ])
            site.markDown(peer)
            return false
        }
    }

    /// The peers most likely to hold `digest` first: the site's fetcher for it leads.
    private func ordered(_ peers: [PeerClient], for digest: Digest) -> [PeerClient] {
        peers.sorted { Site.weight($0.url, digest) > Site.weight($1.url, digest) }
    }

    /// Asks the upstream; when it cannot be reached, or the link may not be used now (a sync
    /// window), the peers: what they hold is what the site last had in line.
    private func upstreamFirst<T: Sendable>(
        _ repository: RepositoryName, what: String, peer: (RegistryClient, RepositoryName) async throws -> T,
        upstream: () async throws -> T
    ) async throws -> T {
        do {
            return try await upstream()
        } catch let error where (error as? ClientError)?.isTransient == true || error is UpstreamClosed {
            guard let name = peerName(repository), site.hasPeers else { throw error }
            for candidate in await site.livePeers() {
                if let answer = try? await candidate.withCredential({ try await peer($0, name) }) {
                    site.logger.notice(
                        "a peer answered in the upstream's place",
                        metadata: [
                            "what": "\(repository) \(what)", "peer": "\(candidate.url)", "because": "\(error)",
                        ])
                    return answer
                }
            }
            throw error
        }
    }
}

/// Counts a download's bytes by where they came from.
final class CountingSink: BlobSink {
    let inner: any BlobSink
    let site: Site
    let origin: Site.Origin

    init(_ inner: any BlobSink, site: Site, origin: Site.Origin) {
        self.inner = inner
        self.site = site
        self.origin = origin
    }

    var offset: Int64 { inner.offset }

    func receive(_ buffer: ByteBuffer) async throws {
        try await inner.receive(buffer)
        site.count(buffer.readableBytes, from: origin)
    }

    func restart() async throws { try await inner.restart() }
    func expect(size: Int64) async throws { try await inner.expect(size: size) }
}
