import OCI
import SatelliteProtocol
import StateContent

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
    ///
    /// Peers are told "fetching" only for those: a satellite that said so for a blob it in turn
    /// waits on a peer for could wait on that peer while the peer waits on it (members whose
    /// views of the site differ: one without `--advertise` never counts itself, one that cannot
    /// reach a third counts without it). While the peers are probed, one the others can name as
    /// fetcher (it advertises itself) holds them to wait on everything, briefly.
    public func willFetch(_ blobs: [Digest]) async -> [Digest] {
        site.beginFetching(site.configuration?.ownURL == nil ? [] : blobs)
        guard site.hasPeers else {
            site.claim(only: blobs)
            return blobs
        }
        let peers = await site.livePeers(fresh: true)
        let ours = peers.isEmpty ? blobs : blobs.filter { site.fetcher(of: $0, among: peers) == nil }
        site.claim(only: ours)
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
