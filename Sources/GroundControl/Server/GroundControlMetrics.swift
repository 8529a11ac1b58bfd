import CoreMetrics
import FleetAPI
import FleetDomain
import Foundation
import Prometheus
import SatelliteProtocol
import Synchronization

/// Ground Control's Prometheus metrics: requests and latency by route, satellites by state,
/// long-polls waiting, and long-polls woken by changes.
public final class GroundControlMetrics: Sendable {
    public let prometheus: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// The groups the last scrape reported, so one deleted since reads 0.
    private let knownGroups = Mutex<Set<String>>([])

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

    /// A heartbeat taken: `full` (the status sent) or `quiet` (its digest named).
    func heartbeat(quiet: Bool) {
        CoreMetrics.Counter(
            label: "ground_control_heartbeats_total", dimensions: [("kind", quiet ? "quiet" : "full")],
            factory: factory
        ).increment()
    }

    /// A registry event taken (`PUSH_ARTIFACT`, …), by type.
    func event(_ type: String) {
        CoreMetrics.Counter(
            label: "ground_control_registry_events_total", dimensions: [("type", type)], factory: factory
        ).increment()
    }

    /// A change Ground Control made to a satellite's robot in a Harbor (`issue`, `update`, `delete`).
    func robotChange(_ action: String) {
        CoreMetrics.Counter(
            label: "ground_control_harbor_robot_changes_total", dimensions: [("action", action)], factory: factory
        ).increment()
    }

    /// A Harbor that could not be reached or refused a request; the work is retried.
    func harborFailure(_ registry: String) {
        CoreMetrics.Counter(
            label: "ground_control_harbor_failures_total", dimensions: [("registry", registry)], factory: factory
        ).increment()
    }

    /// Renders the exposition after refreshing the gauges that are read on demand: satellites by
    /// the state the fleet view shows, and per group its members, those behind and those missing
    /// artifacts (a group deleted since the last scrape reads 0).
    func render(fleet: [SatelliteView], longPolls: Int) -> [UInt8] {
        let states = Dictionary(grouping: fleet, by: \.state).mapValues(\.count)
        for state in ["pending", "online", "stale", "revoked"] {
            CoreMetrics.Gauge(label: "ground_control_satellites", dimensions: [("state", state)], factory: factory)
                .record(states[state] ?? 0)
        }
        var groups: [String: (members: Int, behind: Int, missing: Int)] = [:]
        for view in fleet where view.state != "revoked" {
            for group in view.groups {
                var counts = groups[group, default: (0, 0, 0)]
                counts.members += 1
                if view.drift.behind { counts.behind += 1 }
                if !view.drift.missing.isEmpty { counts.missing += 1 }
                groups[group] = counts
            }
        }
        let gone = knownGroups.withLock { known in
            defer { known = Set(groups.keys) }
            return known.subtracting(groups.keys)
        }
        for group in gone { groups[group] = (0, 0, 0) }
        for (group, counts) in groups {
            CoreMetrics.Gauge(
                label: "ground_control_group_satellites", dimensions: [("group", group)], factory: factory
            ).record(counts.members)
            CoreMetrics.Gauge(
                label: "ground_control_group_satellites_behind", dimensions: [("group", group)], factory: factory
            ).record(counts.behind)
            CoreMetrics.Gauge(
                label: "ground_control_group_satellites_missing", dimensions: [("group", group)], factory: factory
            ).record(counts.missing)
        }
        CoreMetrics.Gauge(label: "ground_control_long_polls", factory: factory).record(longPolls)
        var buffer: [UInt8] = []
        prometheus.emit(into: &buffer)
        return buffer
    }
}
