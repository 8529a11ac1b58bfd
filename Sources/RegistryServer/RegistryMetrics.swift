import CoreMetrics
import Prometheus
import RegistryStore

/// The registry's Prometheus metrics: requests and latency by route, bytes in and out, store size,
/// blob reads that had to wait for the disk.
public final class RegistryMetrics: Sendable {
    /// The registry the metrics live in; `/metrics` renders it.
    public let prometheus: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let bytesReceived: CoreMetrics.Counter
    private let bytesSent: CoreMetrics.Counter
    private let storeBytes: CoreMetrics.Gauge
    private let blobDiskReads: CoreMetrics.Counter

    public init(prometheus: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.prometheus = prometheus
        self.factory = PrometheusMetricsFactory(registry: prometheus)
        bytesReceived = CoreMetrics.Counter(label: "registry_received_bytes_total", factory: factory)
        bytesSent = CoreMetrics.Counter(label: "registry_sent_bytes_total", factory: factory)
        storeBytes = CoreMetrics.Gauge(label: "registry_store_bytes", factory: factory)
        blobDiskReads = CoreMetrics.Counter(label: "registry_blob_disk_reads_total", factory: factory)
    }

    func recordRequest(route: String, method: String, status: Int, seconds: Double) {
        CoreMetrics.Counter(
            label: "registry_requests_total",
            dimensions: [("route", route), ("method", method), ("status", String(status))],
            factory: factory
        ).increment()
        CoreMetrics.Timer(
            label: "registry_request_duration_seconds", dimensions: [("route", route), ("method", method)],
            factory: factory
        ).recordNanoseconds(Int64(seconds * 1e9))
    }

    func received(_ bytes: Int64) { bytesReceived.increment(by: bytes) }
    func sent(_ bytes: Int64) { bytesSent.increment(by: bytes) }
    /// A blob chunk the page cache could not supply, read on the blocking-I/O pool instead.
    func blobReadFromDisk() { blobDiskReads.increment() }

    /// Renders the Prometheus text exposition, refreshing the store size first.
    func render(store: RegistryStore) async -> [UInt8] {
        if let size = try? await store.totalBlobBytes() {
            storeBytes.record(size)
        }
        var buffer: [UInt8] = []
        prometheus.emit(into: &buffer)
        return buffer
    }
}
