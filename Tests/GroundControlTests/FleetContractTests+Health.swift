import FleetAPI
import FleetDomain
import Foundation
import GroundControl
import OCI
import SatelliteProtocol
import Testing

extension FleetContractTests {
    /// The health watcher remembers what it worked out between looks. What it remembers must not
    /// hide a change: staleness comes from the clock, drift from the satellite's report and from
    /// the groups, each of which may move without the others.
    @Test(arguments: Backend.allCases)
    func aRememberedHealthLookSeesTheClockTheReportAndTheGroupsMove(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, clock in
            try await Self.seed(fleet)
            let token = try await fleet.satellites.create(SatelliteDefinition(name: "s1", groups: ["edge"]))
            _ = try await fleet.register(token: token.token, publicKey: "k")
            let s1 = try Self.name("s1")
            var memo = SatelliteService.HealthMemo()

            // Applied, but without its artifact: drift, told once.
            _ = try await fleet.satellites.recordHeartbeat(
                s1, StatusReport(generation: try await fleet.generation(of: s1), inventory: []))
            #expect(try await fleet.satellites.observeHealth(remembering: &memo) == 1)
            #expect(try await fleet.satellites.observeHealth(remembering: &memo) == 0)

            // The group moves on: behind, a sync to come, not drift. Its next heartbeat, applied
            // and still without the artifact, is drift again, and told again.
            _ = try await fleet.groups.put(
                try Self.name("edge"),
                GroupDefinition(
                    registry: "central",
                    artifacts: [
                        try Self.artifact("apps/web", digest: Self.digest), try Self.artifact("tools/debug", tag: "1"),
                    ]))
            #expect(try await fleet.satellites.observeHealth(remembering: &memo) == 0)
            _ = try await fleet.satellites.recordHeartbeat(
                s1, StatusReport(generation: try await fleet.generation(of: s1), inventory: []))
            #expect(try await fleet.satellites.observeHealth(remembering: &memo) == 1)

            // Silent past three heartbeats: stale by the clock alone; back with its next heartbeat.
            clock.advance(91)
            #expect(try await fleet.satellites.observeHealth(remembering: &memo) == 1)
            #expect(try await fleet.satellites.observeHealth(remembering: &memo) == 0)
            _ = try await fleet.satellites.recordHeartbeat(
                s1,
                StatusReport(
                    generation: try await fleet.generation(of: s1), inventory: [try Digest(Self.digest)]))
            #expect(try await fleet.satellites.observeHealth(remembering: &memo) == 1)
            #expect(try await fleet.satellites.named(s1).state == "online")
        }
    }
}
