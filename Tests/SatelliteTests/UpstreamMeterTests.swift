import Foundation
import Logging
import OCI
import Satellite
import SatelliteProtocol
import StateContent
import Synchronization
import TestSupport
import Testing

/// The meter on a clock the test moves: a fetch that would overrun a budget is refused before it
/// starts, a critical one passes and is counted past it, the counts survive a restart (and a
/// file that is not theirs), and a new period starts afresh.
@Suite struct UpstreamMeterTests {
    /// 2026-12-31T23:00:00Z.
    static let lastHour: Int64 = 1_798_758_000

    final class Clock: Sendable {
        let now = Atomic<Int64>(UpstreamMeterTests.lastHour)
    }

    static func state(budgets: [String], critical: Bool = false) throws -> DesiredState {
        var state = DesiredState(
            generation: 1, upstreams: [.init(name: "central", url: "http://127.0.0.1:1")],
            artifacts: [
                .init(
                    upstream: "central", repository: try RepositoryName("apps/big"), tag: try Tag("1"),
                    priority: critical ? DesiredState.Artifact.critical : nil)
            ])
        state.upstreamBudgets = budgets
        return state
    }

    static func meter(_ directory: TemporaryDirectory, _ clock: Clock) -> UpstreamMeter {
        UpstreamMeter(
            directory: DataDirectory(directory.path), logger: Logger(label: "test"),
            clock: { clock.now.load(ordering: .relaxed) })
    }

    @Test func budgetsRefuseBeforeTheFetchAndCountAcrossRestarts() async throws {
        let directory = try TemporaryDirectory("meter")
        defer { directory.remove() }
        let clock = Clock()
        let meter = Self.meter(directory, clock)
        let big = try RepositoryName("apps/big")
        let small = try RepositoryName("apps/small")
        await meter.accepted(try Self.state(budgets: ["1MiB/month"]))
        try meter.admit("central", repository: small, bytes: 600 << 10)
        meter.received(600 << 10, upstream: "central", repository: small)
        #expect(throws: UpstreamClosed.self) { try meter.admit("central", repository: small, bytes: 500 << 10) }
        try meter.admit("central", repository: small, bytes: 400 << 10)
        #expect(meter.report().budgets.first?.exhausted == true, "a refusal marks the period")
        meter.received(424 << 10, upstream: "central", repository: small)
        #expect(throws: UpstreamClosed.self) { try meter.admit("central", repository: small, bytes: nil) }
        await meter.synced(try Self.state(budgets: ["1MiB/month"]))

        // A restart: the month's count stands; the critical repository passes and is counted past it.
        let restarted = Self.meter(directory, clock)
        await restarted.accepted(try Self.state(budgets: ["1MiB/month"], critical: true))
        #expect(restarted.report().budgets.first?.usedBytes == 1 << 20)
        try restarted.admit("central", repository: big, bytes: 5 << 20)
        restarted.received(5 << 20, upstream: "central", repository: big)
        #expect(restarted.report().overBudgetBytes == 5 << 20)
        #expect(throws: UpstreamClosed.self) { try restarted.admit("central", repository: small, bytes: 1) }
        #expect(restarted.report().days.map(\.day) == ["2026-12-31"])

        // A new month: the budget starts afresh; the day's count is kept for the chart.
        clock.now.store(Self.lastHour + 3600, ordering: .relaxed)
        try restarted.admit("central", repository: small, bytes: 1 << 20)
        let report = restarted.report()
        #expect(report.budgets.first?.usedBytes == 0 && report.budgets.first?.exhausted == false)
        #expect(report.days == [.init(day: "2026-12-31", bytes: 6 << 20)])
    }

    @Test func countsThatAreNotTheMetersAreDroppedNotTrusted() async throws {
        let directory = try TemporaryDirectory("meter")
        defer { directory.remove() }
        try Data("{\"days\":".utf8).write(to: URL(fileURLWithPath: directory.appending("upstream-meter.json")))
        let meter = Self.meter(directory, Clock())
        await meter.accepted(try Self.state(budgets: ["1MiB/day", "oops"]))
        #expect(meter.report().budgets.first?.usedBytes == 0)
        #expect(meter.report().problems?.first?.contains("oops") == true, "a budget it cannot read is reported")
    }
}
