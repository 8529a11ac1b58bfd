import CoreMetrics
import Prometheus

/// What pull-through did, for `/metrics` (DESIGN.md §8): whether the cache answers, how much
/// the link carries, and what the rules refused.
public final class PullThroughMetrics: Sendable {
    /// Requests a pulled-through repository answered from the store without the upstream.
    private let hits: CoreMetrics.Counter
    /// Requests that fetched from the upstream (each upstream fetch once, however many waited).
    private let misses: CoreMetrics.Counter
    /// Requests that joined a fetch already under way.
    private let coalesced: CoreMetrics.Counter
    /// Tags served as held because their upstream could not be asked in time.
    private let stale: CoreMetrics.Counter
    /// Requests outside the rules, refused without an upstream request.
    private let denied: CoreMetrics.Counter
    private let upstreamBytes: CoreMetrics.Counter
    private let cacheBytes: CoreMetrics.Counter
    /// Pulled-through manifests removed to keep within the disk budget.
    private let evictions: CoreMetrics.Counter
    private let evictedBytes: CoreMetrics.Counter

    public init(prometheus: PrometheusCollectorRegistry) {
        let factory = PrometheusMetricsFactory(registry: prometheus)
        let counter = { (label: String) in
            CoreMetrics.Counter(label: "satellite_pull_through_" + label, factory: factory)
        }
        hits = counter("hits_total")
        misses = counter("misses_total")
        coalesced = counter("coalesced_total")
        stale = counter("stale_total")
        denied = counter("denied_total")
        upstreamBytes = counter("upstream_bytes_total")
        cacheBytes = counter("served_from_cache_bytes_total")
        evictions = counter("evictions_total")
        evictedBytes = counter("evicted_bytes_total")
    }

    func hit(bytes: Int64) {
        hits.increment()
        cacheBytes.increment(by: bytes)
    }

    func missed() { misses.increment() }
    func joined() { coalesced.increment() }
    func servedStale() { stale.increment() }
    func refused() { denied.increment() }
    func fetched(bytes: Int64) { upstreamBytes.increment(by: bytes) }

    func evicted(manifests: Int, bytes: Int64) {
        evictions.increment(by: Int64(manifests))
        evictedBytes.increment(by: bytes)
    }
}
