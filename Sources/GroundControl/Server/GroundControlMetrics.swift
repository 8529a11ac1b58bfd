import CoreMetrics
import Foundation
import Prometheus

/// Ground Control's Prometheus metrics: requests and latency by route, satellites by state,
/// long-polls waiting, and long-polls woken by changes.
public final class GroundControlMetrics: Sendable {
    public let prometheus: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    public init(prometheus: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.prometheus = prometheus
        factory = PrometheusMetricsFactory(registry: prometheus)
    }

    func recordRequest(route: String, method: String, status: Int, seconds: Double) {
        CoreMetrics.Counter(
            label: "ground_control_requests_total",
            dimensions: [("route", route), ("method", method), ("status", String(status))],
            factory: factory
        ).increment()
        CoreMetrics.Timer(
            label: "ground_control_request_duration_seconds", dimensions: [("route", route), ("method", method)],
            factory: factory
        ).recordNanoseconds(Int64(seconds * 1e9))
    }

    /// Long-polls woken because the fleet changed in a way that may touch their satellite.
    func longPollsWoken(_ count: Int) {
        CoreMetrics.Counter(label: "ground_control_long_poll_wakeups_total", factory: factory).increment(by: count)
    }

    /// A registry event taken (`PUSH_ARTIFACT`, …), by type.
    func event(_ type: String) {
        CoreMetrics.Counter(label: "ground_control_registry_events_total", dimensions: [("type", type)], factory: factory).increment()
    }

    /// A change Ground Control made to a satellite's robot in a Harbor (`issue`, `update`, `delete`).
    func robotChange(_ action: String) {
        CoreMetrics.Counter(label: "ground_control_harbor_robot_changes_total", dimensions: [("action", action)], factory: factory).increment()
    }

    /// A Harbor that could not be reached or refused a request; the work is retried.
    func harborFailure(_ registry: String) {
        CoreMetrics.Counter(label: "ground_control_harbor_failures_total", dimensions: [("registry", registry)], factory: factory).increment()
    }

    /// Renders the exposition after refreshing the gauges that are read on demand.
    func render(satellitesByState: [String: Int], longPolls: Int) -> [UInt8] {
        for state in ["pending", "registered", "revoked"] {
            CoreMetrics.Gauge(label: "ground_control_satellites", dimensions: [("status", state)], factory: factory)
                .record(satellitesByState[state] ?? 0)
        }
        CoreMetrics.Gauge(label: "ground_control_long_polls", factory: factory).record(longPolls)
        var buffer: [UInt8] = []
        prometheus.emit(into: &buffer)
        return buffer
    }
}
