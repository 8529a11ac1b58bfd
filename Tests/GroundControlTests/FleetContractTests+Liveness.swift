import FleetAPI
import FleetDomain
import Foundation
import GroundControl
import SatelliteProtocol
import Testing

extension FleetContractTests {
    /// A held long-poll vouches for its satellite until it ends; a quiet heartbeat says only that
    /// the satellite is there, leaving its status as it was (issue 30).
    @Test(arguments: Backend.allCases)
    func aLongPollVouchesForItsSatelliteAndAQuietHeartbeatKeepsTheStatus(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, clock in
            try await Self.seed(fleet)
            let token = try await fleet.satellites.create(SatelliteDefinition(name: "s1", groups: ["edge"]))
            _ = try await fleet.register(token: token.token, publicKey: "k")
            let s1 = try Self.name("s1")
            let report = StatusReport(generation: 3, inventory: [], diskUsedBytes: 7)
            let (_, full) = try await fleet.satellites.acceptHeartbeat(s1, report, digest: "sha256:" + Self.hex("a"))
            try await fleet.satellites.storeHeartbeats([full])
            #expect(try await fleet.satellites.statusDigest(of: "s1") == "sha256:" + Self.hex("a"))

            // 30 s heartbeats: stale after 90 s of silence, but not while a long-poll is held.
            clock.advance(60)
            try await fleet.satellites.storeHeartbeats([
                .init(name: "s1", at: clock.now, pollingUntil: clock.now.addingTimeInterval(310))
            ])
            clock.advance(300)
            var view = try await fleet.satellites.named(s1)
            #expect(view.state == "online" && view.lastSeen == clock.now, "heard from now, while the poll is held")
            clock.advance(10 + 89)
            #expect(try await fleet.satellites.named(s1).state == "online", "within three heartbeats of the poll's end")
            clock.advance(2)
            #expect(try await fleet.satellites.named(s1).state == "stale")

            // A quiet heartbeat: heard from, and the status stays what the full one said.
            let (_, quiet) = try await fleet.satellites.acceptHeartbeat(s1, nil, digest: "sha256:" + Self.hex("a"))
            #expect(quiet.report == nil)
            try await fleet.satellites.storeHeartbeats([quiet])
            view = try await fleet.satellites.named(s1)
            #expect(view.state == "online" && view.appliedGeneration == 3 && view.diskUsedBytes == 7)
            #expect(try await fleet.satellites.statusDigest(of: "s1") == "sha256:" + Self.hex("a"))
        }
    }

    /// A job one process does for all: the lease is its holder's until it ends unrenewed.
    @Test(arguments: Backend.allCases)
    func aLeaseIsHeldByOneProcessUntilItEnds(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, clock async throws in
            #expect(try await fleet.holdLease("health", owner: "a", for: .seconds(15)))
            #expect(try await fleet.holdLease("health", owner: "b", for: .seconds(15)) == false)
            #expect(try await fleet.holdLease("other", owner: "b", for: .seconds(15)), "another job is another lease")
            clock.advance(10)
            #expect(try await fleet.holdLease("health", owner: "a", for: .seconds(15)), "renewed by its holder")
            clock.advance(10)
            #expect(try await fleet.holdLease("health", owner: "b", for: .seconds(15)) == false, "the renewal holds")
            clock.advance(6)
            #expect(try await fleet.holdLease("health", owner: "b", for: .seconds(15)), "ended unrenewed: taken over")
            #expect(try await fleet.holdLease("health", owner: "a", for: .seconds(15)) == false)
        }
    }

    static func hex(_ character: Character) -> String { String(repeating: character, count: 64) }
}
