import CoreMetrics
import Prometheus
import SatelliteProtocol

/// The upstream meter for `/metrics`: every upstream byte, and each budget's use in its period.
package final class MeterMetrics: Sendable {
    private let upstreamBytes: CoreMetrics.Counter
    private let used: [UpstreamBudget.Period: CoreMetrics.Gauge]
    private let limit: [UpstreamBudget.Period: CoreMetrics.Gauge]
    private let exhausted: [UpstreamBudget.Period: CoreMetrics.Gauge]

    package init(prometheus: PrometheusCollectorRegistry) {
        let factory = PrometheusMetricsFactory(registry: prometheus)
        upstreamBytes = CoreMetrics.Counter(label: "satellite_upstream_metered_bytes_total", factory: factory)
        func gauges(_ name: String) -> [UpstreamBudget.Period: CoreMetrics.Gauge] {
            Dictionary(
                uniqueKeysWithValues: UpstreamBudget.Period.allCases.map { period in
                    (
                        period,
                        CoreMetrics.Gauge(label: name, dimensions: [("period", period.rawValue)], factory: factory)
                    )
                })
        }
        used = gauges("satellite_upstream_budget_used_bytes")
        limit = gauges("satellite_upstream_budget_limit_bytes")
        exhausted = gauges("satellite_upstream_budget_exhausted")
    }

    func received(_ bytes: Int64) { upstreamBytes.increment(by: bytes) }

    /// The budgets as they stand; a period without a budget shows a limit of 0.
    func show(_ budgets: [MeterReport.BudgetUse], periods: [UpstreamBudget.Period]) {
        for period in UpstreamBudget.Period.allCases {
            let index = periods.firstIndex(of: period)
            let use = index.map { budgets[$0] }
            used[period]?.record(use?.usedBytes ?? 0)
            limit[period]?.record(use?.limitBytes ?? 0)
            exhausted[period]?.record(use?.exhausted == true ? 1 : 0)
        }
    }
}
