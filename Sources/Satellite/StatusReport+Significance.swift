import SatelliteProtocol

extension StatusReport {
    /// The report without what moves on its own (times, traffic counters, disk figures, bytes
    /// per day): when only those changed, nothing Ground Control acts on did, and they go with
    /// the next heartbeat due rather than making one. A failed sync's time stays.
    var significant: StatusReport {
        var report = self
        report.diskUsedBytes = nil
        report.diskFreeBytes = nil
        report.transfer = nil
        // A sync that keeps falling short is news each time: a rollout's gate judges a member by
        // when its sync last failed.
        if report.lastSync?.failed != true { report.lastSync?.finishedAt = nil }
        report.lastSync?.durationSeconds = nil
        if var meter = report.meter {
            meter.days = []
            meter.budgets = meter.budgets.map { budget in
                var budget = budget
                budget.usedBytes = 0
                return budget
            }
            meter.overBudgetBytes = nil
            report.meter = meter
        }
        return report
    }
}
