import DurableFiles
import Foundation
import Logging
import OCI
import Replication
import SatelliteProtocol
import StateContent
import Synchronization
import ZoneInfo

/// Counts every byte a satellite brings from its upstreams (never its peers') per day and per
/// month (UTC), keeps the counts across restarts, and holds fetches to the state's budgets.
///
/// A fetch whose size is known is refused when it would overrun a budget; one whose size is
/// announced only with its answer, when the announcement comes, before its first byte. A
/// critical artifact's repository may go past a budget: what it takes is counted and reported.
/// Counts are written at the end of each sync, at a refusal, and every 5 s or 16 MiB while
/// bytes arrive, so a crash loses at most that much.
package final class UpstreamMeter: SyncObserver, Sendable {
    struct Counts: Codable, Equatable {
        var days: [String: Int64] = [:]
        var months: [String: Int64] = [:]
        /// Bytes critical artifacts took past a budget, by month.
        var overBudget: [String: Int64] = [:]
    }

    private struct Current {
        var budgets: [UpstreamBudget] = []
        var problems: [String] = []
        /// `upstream/repository` of the state's critical artifacts.
        var critical: Set<String> = []
        var counts = Counts()
        /// Budgets a fetch was refused for, with the period it was refused in.
        var exhausted: [String: String] = [:]
        var unsaved: Int64 = 0
        var savedAt: Int64 = 0
    }

    static let saveEvery: Int64 = 16 << 20
    static let saveAfterSeconds: Int64 = 5
    /// Days of counts kept; the report shows the last 30.
    static let keptDays = 40

    private let file: String
    private let metrics: MeterMetrics?
    private let clock: @Sendable () -> Int64
    private let logger: Logger
    private let current = Mutex(Current())
    /// Serialises writes of the file, which happen outside the lock.
    private let saving = Mutex(())

    package init(
        directory: DataDirectory, logger: Logger, metrics: MeterMetrics? = nil,
        clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        file = directory.upstreamMeter
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
        if let data = FileManager.default.contents(atPath: file) {
            do {
                let counts = try JSONDecoder().decode(Counts.self, from: data)
                current.withLock { $0.counts = counts }
            } catch {
                // Counted again from zero: a budget may allow more this period, never less.
                logger.warning(
                    "the upstream meter's counts cannot be read; counting anew", metadata: ["error": "\(error)"])
            }
        }
    }

    package func accepted(_ state: DesiredState) async {
        var budgets: [UpstreamBudget] = []
        var problems: [String] = []
        for text in state.upstreamBudgets ?? [] {
            do { budgets.append(try UpstreamBudget(parsing: text)) } catch {
                problems.append("\(error); it is not applied")
            }
        }
        for problem in problems { logger.warning("\(problem)") }
        let critical = Set(
            state.artifacts.filter { $0.priority == DesiredState.Artifact.critical }.map {
                Self.key($0.upstream, $0.repository)
            })
        current.withLock { current in
            current.budgets = budgets
            current.problems = problems
            current.critical = critical
        }
        showMetrics()
    }

    /// The budgets' gauges, brought up to date.
    private func showMetrics() {
        guard let metrics else { return }
        let report = report()
        let periods = current.withLock { $0.budgets.map(\.period) }
        guard periods.count == report.budgets.count else { return }
        metrics.show(report.budgets, periods: periods)
    }

    package func synced(_ state: DesiredState) async { save() }

    /// Refuses a fetch that would overrun a budget, unless it is for a critical artifact.
    package func admit(_ upstream: String, repository: RepositoryName, bytes: Int64?) throws(UpstreamClosed) {
        let now = clock()
        let refusal = current.withLock { current -> String? in
            guard !current.budgets.isEmpty, !current.critical.contains(Self.key(upstream, repository)) else {
                return nil
            }
            for budget in current.budgets {
                let period = UpstreamBudget.key(of: budget.period, at: now)
                let used = current.counts.used(budget.period, period)
                let (needed, overflow) = used.addingReportingOverflow(bytes ?? 0)
                guard overflow || needed > budget.bytes || (bytes == nil && used >= budget.bytes) else { continue }
                current.exhausted[budget.description] = period
                let more = bytes.map { ", and this fetch needs \(ByteSize.show($0)) more" } ?? ""
                return """
                    the upstream budget \(budget) is spent: \(ByteSize.show(used)) used this \(budget.period.rawValue) \
                    (\(period))\(more)
                    """
            }
            return nil
        }
        if let refusal {
            save()
            showMetrics()
            throw UpstreamClosed(.budgetExhausted, refusal)
        }
    }

    /// Whether a fetch for `repository` would be refused now, without marking anything: some
    /// budget is spent and the repository is not critical.
    package func isSpent(for upstream: String, repository: RepositoryName) -> Bool {
        let now = clock()
        return current.withLock { current in
            guard !current.critical.contains(Self.key(upstream, repository)) else { return false }
            return current.budgets.contains { budget in
                current.counts.used(budget.period, UpstreamBudget.key(of: budget.period, at: now)) >= budget.bytes
            }
        }
    }

    package func received(_ bytes: Int64, upstream: String, repository: RepositoryName) {
        guard bytes > 0 else { return }
        let now = clock()
        let due = current.withLock { current -> Bool in
            let day = UpstreamBudget.key(of: .day, at: now)
            let month = UpstreamBudget.key(of: .month, at: now)
            // The part of these bytes past the tightest budget (only a critical fetch gets there).
            let over =
                current.budgets.map { budget -> Int64 in
                    let used = current.counts.used(budget.period, UpstreamBudget.key(of: budget.period, at: now))
                    return min(bytes, max(0, used &+ bytes &- max(budget.bytes, used)))
                }.max() ?? 0
            current.counts.days[day, default: 0] &+= bytes
            current.counts.months[month, default: 0] &+= bytes
            if over > 0 { current.counts.overBudget[month, default: 0] &+= over }
            current.unsaved &+= bytes
            return current.unsaved >= Self.saveEvery || now - current.savedAt >= Self.saveAfterSeconds
        }
        metrics?.received(bytes)
        if due {
            save()
            showMetrics()
        }
    }

    /// The meter for the heartbeat and `satellite status`.
    package func report() -> MeterReport {
        let now = clock()
        return current.withLock { current in
            let budgets = current.budgets.map { budget in
                let period = UpstreamBudget.key(of: budget.period, at: now)
                return MeterReport.BudgetUse(
                    budget: budget.description, period: period,
                    usedBytes: current.counts.used(budget.period, period), limitBytes: budget.bytes,
                    exhausted: current.exhausted[budget.description] == period)
            }
            let today = CivilTime.floorDiv(now, CivilTime.secondsPerDay)
            let days = (0..<30).reversed().compactMap { back -> MeterReport.Day? in
                let day = UpstreamBudget.key(of: .day, at: (today - Int64(back)) * CivilTime.secondsPerDay)
                return current.counts.days[day].map { MeterReport.Day(day: day, bytes: $0) }
            }
            let over = current.counts.overBudget[UpstreamBudget.key(of: .month, at: now)]
            return MeterReport(
                budgets: budgets, days: days, overBudgetBytes: over,
                problems: current.problems.isEmpty ? nil : current.problems)
        }
    }

    /// Writes the counts, dropping days and months long past.
    private func save() {
        let now = clock()
        saving.withLock { _ in
            let counts = current.withLock { current -> Counts in
                current.counts.prune(before: now - Int64(Self.keptDays) * CivilTime.secondsPerDay)
                current.unsaved = 0
                current.savedAt = now
                return current.counts
            }
            do {
                try DurableFile.write(try JSONEncoder().encode(counts), to: file, mode: .created(0o600))
            } catch {
                logger.warning("cannot write the upstream meter's counts", metadata: ["error": "\(error)"])
            }
        }
    }

    private static func key(_ upstream: String, _ repository: RepositoryName) -> String {
        "\(upstream)/\(repository)"
    }
}

extension UpstreamMeter.Counts {
    func used(_ period: UpstreamBudget.Period, _ key: String) -> Int64 {
        (period == .day ? days[key] : months[key]) ?? 0
    }

    /// Keeps the days from `instant` on, and the months of them.
    mutating func prune(before instant: Int64) {
        let firstDay = UpstreamBudget.key(of: .day, at: instant)
        let firstMonth = UpstreamBudget.key(of: .month, at: instant)
        days = days.filter { $0.key >= firstDay }
        months = months.filter { $0.key >= firstMonth }
        overBudget = overBudget.filter { $0.key >= firstMonth }
    }
}
