import OCI
import SatelliteProtocol

/// Content sources that ask the site's peers before each upstream, and tell the peers what this
/// satellite's sync is fetching.
public final class SiteSources: ContentSources {
    let upstreams: any ContentSources
    public let site: Site

    public init(upstreams: any ContentSources, site: Site) {
        self.upstreams = upstreams
        self.site = site
    }

    public func source(for upstream: DesiredState.Upstream) throws -> any ContentSource {
        PeeredSource(upstream: try upstreams.source(for: upstream), upstreamName: upstream.name, site: site)
    }

    public func shutdown() async {
        await upstreams.shutdown()
        await site.shutdown()
    }

    /// The blobs this satellite is the site's fetcher for come first: no download slot waits on a
    /// peer before every blob the peers wait on from us has started.
    public func willFetch(_ blobs: [Digest]) async -> [Digest] {
        site.beginFetching(blobs)
        guard site.hasPeers else { return blobs }
        let peers = await site.livePeers(fresh: true)
        guard !peers.isEmpty else { return blobs }
        let ours = blobs.filter { site.fetcher(of: $0, among: peers) == nil }
        let oursSet = Set(ours)
        return ours + blobs.filter { !oursSet.contains($0) }
    }

    public func finishedFetching(_ blob: Digest) { site.finishedFetching(blob) }
    public func endFetching() { site.endFetching() }

    /// Wrong bytes may have come from a peer: the blob is fetched once more, from the upstream.
    public func retryAfterMismatch(_ blob: Digest) -> Bool {
        site.hasPeers && site.distrust(blob)
    }
}
