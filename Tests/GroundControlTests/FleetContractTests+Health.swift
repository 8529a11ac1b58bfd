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

extension FleetContractTests {
    /// Between looks at the whole fleet, a look reads only the satellites that reported or
    /// changed since the last, and those not online by the clock (issue 30: at rest a fleet of
    /// 100,000 costs a look almost nothing); what it tells is what a whole look would.
    @Test(arguments: Backend.allCases)
    func aLookBetweenWholeOnesReadsOnlyWhatMayHaveChanged(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, clock in
            try await Self.seed(fleet)
            let names = (0..<10).map { "s\($0)" }
            let tokens = try await fleet.satellites.create(
                batch: names.map { SatelliteDefinition(name: $0, groups: ["edge"]) })
            for token in tokens { _ = try await fleet.register(token: token.token, publicKey: "k-\(token.name)") }
            func report(_ name: String) async throws {
                let satellite = try Self.name(name)
                _ = try await fleet.satellites.recordHeartbeat(
                    satellite,
                    StatusReport(
                        generation: try await fleet.generation(of: satellite), inventory: [try Digest(Self.digest)]))
            }
            for name in names { try await report(name) }
            var memo = SatelliteService.HealthMemo()
            #expect(try await fleet.satellites.observeHealth(remembering: &memo) == 0)
            #expect(memo.rowsRead == 10, "the first look reads the whole fleet")

            // Forty seconds on, one reports: the next look but one reads it alone (the statuses
            // sent within the slack before a look are read by the next).
            clock.advance(40)
            try await report("s1")
            #expect(try await fleet.satellites.observeHealth(remembering: &memo) == 0)
            clock.advance(5)
            #expect(try await fleet.satellites.observeHealth(remembering: &memo) == 0)
            #expect(memo.rowsRead == 1)

            // Silent past three heartbeats: the nine are read again, found stale and told.
            clock.advance(55)
            #expect(try await fleet.satellites.observeHealth(remembering: &memo) == 9)
            #expect(try await fleet.satellites.named(try Self.name("s2")).state == "stale")
            // One is heard from by a long-poll alone: back, and told.
            try await fleet.satellites.storeHeartbeats([
                .init(name: "s2", at: clock.now, pollingUntil: clock.now.addingTimeInterval(70))
            ])
            #expect(try await fleet.satellites.observeHealth(remembering: &memo) == 1)
            // One deleted is gone from the looks; the others stay stale, told once.
            try await fleet.satellites.delete(try Self.name("s3"))
            #expect(try await fleet.satellites.observeHealth(remembering: &memo) == 0)
            #expect(memo.rowsRead == 7, "the seven still stale: s1 and s2 are online by the clock")

            // After the whole-fleet interval, a whole look: s1 and s2 have gone stale meanwhile.
            clock.advance(300)
            #expect(try await fleet.satellites.observeHealth(remembering: &memo) == 2)
            #expect(memo.rowsRead == 9)
        }
    }
}
