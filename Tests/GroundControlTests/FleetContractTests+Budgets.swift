import FleetAPI
import FleetDomain
import Foundation
import GroundControl
import OCI
import SatelliteProtocol
import Testing

extension FleetContractTests {
    /// A satellite's budgets reach its state, its artifacts' priorities too, and a heartbeat that
    /// reports a budget exhausted is told once per budget and period, on every store.
    @Test(arguments: Backend.allCases)
    func anExhaustedBudgetIsToldOncePerPeriod(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, _ in
            try await Self.seed(fleet)
            var critical = try Self.artifact("apps/big", tag: "1")
            critical.priority = DesiredState.Artifact.critical
            _ = try await fleet.groups.put(
                try Self.name("edge"),
                GroupDefinition(
                    registry: "central", artifacts: [try Self.artifact("apps/web", digest: Self.digest), critical]))
            var settings = SatelliteSettings.defaults
            settings.upstreamBudgets = ["1024KiB/month", "100M/day"]
            let token = try await fleet.satellites.create(
                SatelliteDefinition(name: "s1", groups: ["edge"], settings: settings))
            _ = try await fleet.register(token: token.token, publicKey: "k")
            let s1 = try Self.name("s1")
            let state = try await fleet.desiredState(of: s1)
            #expect(state.upstreamBudgets == ["1MiB/month", "100MiB/day"])
            #expect(state.artifacts.first { $0.repository.value == "apps/big" }?.priority == "critical")

            func heartbeat(period: String, exhausted: Bool) async throws {
                let meter = MeterReport(
                    budgets: [
                        .init(
                            budget: "1MiB/month", period: period, usedBytes: 1 << 20, limitBytes: 1 << 20,
                            exhausted: exhausted)
                    ], days: [])
                _ = try await fleet.satellites.recordHeartbeat(
                    s1,
                    StatusReport(
                        generation: try await fleet.generation(of: s1), inventory: [try Digest(Self.digest)],
                        meter: meter))
            }
            func told() async throws -> Int {
                try await fleet.events.list(after: 0, limit: 100).filter { $0.type == "satellite.budget.exhausted" }
                    .count
            }
            try await heartbeat(period: "2026-12", exhausted: false)
            try await fleet.satellites.observeHealth()
            try await heartbeat(period: "2026-12", exhausted: true)
            try await fleet.satellites.observeHealth()
            try await fleet.satellites.observeHealth()
            #expect(try await told() == 1)
            let event = try #require(try await fleet.events.list(after: 0, limit: 100).last)
            #expect(event.subject == "s1" && event.data.contains("\"limitBytes\":\"1048576\""), "\(event.data)")
            try await heartbeat(period: "2027-01", exhausted: false)
            try await fleet.satellites.observeHealth()
            try await heartbeat(period: "2027-01", exhausted: true)
            try await fleet.satellites.observeHealth()
            #expect(try await told() == 2, "a new period, told again")
            #expect(try await fleet.satellites.named(s1).meter?.exhausted == true)

            var bad = SatelliteSettings.defaults
            for budgets in [["-1GiB/month"], ["1GiB/month", "2GiB/month"], ["lots"]] {
                bad.upstreamBudgets = budgets
                await expectFailure(.invalidField) { try await fleet.satellites.updateSettings(bad, of: s1) }
            }
            var wrong = try Self.artifact("apps/web", tag: "2")
            wrong.priority = "urgent"
            await expectFailure(.invalidField) {
                _ = try await fleet.groups.put(
                    try Self.name("edge"), GroupDefinition(registry: "central", artifacts: [wrong]))
            }
        }
    }
}
