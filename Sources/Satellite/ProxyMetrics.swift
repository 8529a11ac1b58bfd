import CoreMetrics
import Prometheus
import Synchronization

/// What the HTTPS proxy did, for `/metrics`: each `CONNECT` by where it went, and the tunnels
/// open now. What it served is counted with the registry's requests.
package final class ProxyMetrics: Sendable {
    private let served: CoreMetrics.Counter
    private let tunnelled: CoreMetrics.Counter
    private let refused: CoreMetrics.Counter
    private let openTunnels: CoreMetrics.Gauge
    private let open = Atomic<Int>(0)

    package init(prometheus: PrometheusCollectorRegistry) {
        let factory = PrometheusMetricsFactory(registry: prometheus)
        let connects = { (route: String) in
            CoreMetrics.Counter(
                label: "satellite_proxy_connects_total", dimensions: [("route", route)], factory: factory)
        }
        served = connects("served")
        tunnelled = connects("tunnelled")
        refused = connects("refused")
        openTunnels = CoreMetrics.Gauge(label: "satellite_proxy_tunnels_open", factory: factory)
        openTunnels.record(0)
    }

    func connect(_ route: ProxyRouteKind) {
        switch route {
        case .served: served.increment()
        case .tunnelled: tunnelled.increment()
        case .refused: refused.increment()
        }
    }

    func tunnel(opened: Bool) {
        let now = open.add(opened ? 1 : -1, ordering: .relaxed).newValue
        openTunnels.record(now)
    }
}

enum ProxyRouteKind {
    case served, tunnelled, refused
}
