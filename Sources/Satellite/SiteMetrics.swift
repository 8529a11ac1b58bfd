import CoreMetrics
import Prometheus
import Replication
import StateContent

/// What the site's peers did, for `/metrics`: bytes fetched from peers and from upstreams, bytes
/// served to peers, and peer requests refused for want of the site credential.
public final class SiteMetrics: Sendable {
    private let fromPeers: CoreMetrics.Counter
    private let fromUpstream: CoreMetrics.Counter
    private let servedToPeers: CoreMetrics.Counter
    private let refusedRequests: CoreMetrics.Counter

    public init(prometheus: PrometheusCollectorRegistry) {
        let factory = PrometheusMetricsFactory(registry: prometheus)
        let counter = { (label: String) in CoreMetrics.Counter(label: "satellite_site_" + label, factory: factory) }
        fromPeers = counter("peer_bytes_total")
        fromUpstream = counter("upstream_bytes_total")
        servedToPeers = counter("served_bytes_total")
        refusedRequests = counter("refused_total")
    }

    func fetched(_ bytes: Int, from origin: Site.Origin) {
        switch origin {
        case .peer: fromPeers.increment(by: Int64(bytes))
        case .upstream: fromUpstream.increment(by: Int64(bytes))
        }
    }

    func served(bytes: Int64) { servedToPeers.increment(by: bytes) }
    func refused() { refusedRequests.increment() }
}
