import FleetAPI
import FleetDomain
import Foundation
import GroundControl
import OCI
import SatelliteProtocol
import Testing

extension FleetContractTests {
    static let digests = (1...4).map { "sha256:" + String(repeating: "\($0)", count: 64) }

    /// A group `apps` of `web` by digest `digests[index]`, under `policy`.
    static func putApps(_ fleet: Fleet, digest index: Int, policy: String?) async throws {
        _ = try await fleet.groups.put(
            try name("apps"),
            GroupDefinition(
                registry: "central", artifacts: [try artifact("apps/web", digest: digests[index])], rollout: policy))
    }

    /// Four registered members of `apps`; s3 is the canary.
    static func seedRollout(_ fleet: Fleet, policy: String) async throws {
        try await seed(fleet)
        try await putApps(fleet, digest: 0, policy: policy)
        for member in ["s1", "s2", "s3", "s4"] {
            let labels = member == "s3" ? ["canary": "true"] : [:]
            let token = try await fleet.satellites.create(
                SatelliteDefinition(name: member, groups: ["apps"], labels: labels))
            _ = try await fleet.register(token: token.token, publicKey: "k-\(member)")
        }
    }

    /// Which of the members' states name `digests[index]`.
    static func holding(_ fleet: Fleet, _ index: Int) async throws -> [String] {
        var holders: [String] = []
        for member in ["s1", "s2", "s3", "s4"] {
            let state = try await fleet.desiredState(of: try name(member))
            if state.artifacts.contains(where: { $0.digest?.string == digests[index] }) { holders.append(member) }
        }
        return holders
    }

    /// Heartbeats from each of `members` that applied its state, or failed to.
    static func apply(_ fleet: Fleet, _ members: [String], failing: Bool = false, at: Date) async throws {
        for member in members {
            let name = try name(member)
            let sync = SyncResult(succeeded: !failing, finishedAt: at, error: failing ? "manifest unknown" : nil)
            _ = try await fleet.satellites.recordHeartbeat(
                name, StatusReport(generation: try await fleet.generation(of: name), inventory: [], lastSync: sync))
        }
    }

    /// No member's generation ever falls, whatever the rollout does.
    final class Generations: @unchecked Sendable {
        var seen: [String: Int64] = [:]

        func check(_ fleet: Fleet, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            for member in ["s1", "s2", "s3", "s4"] {
                let generation = try await fleet.generation(of: try FleetContractTests.name(member))
                #expect(generation >= seen[member] ?? 0, "\(member)'s generation fell", sourceLocation: sourceLocation)
                seen[member] = generation
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func aRolloutReachesWaveAfterWaveThroughItsGate(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, clock in
            try await Self.seedRollout(fleet, policy: "waves=1,50%,100%;soak=10s;order=canary=true")
            let generations = Generations()
            try await generations.check(fleet)
            try await Self.putApps(fleet, digest: 1, policy: "waves=1,50%,100%;soak=10s;order=canary=true")
            try await generations.check(fleet)
            // The canary first; the rest keep what they held.
            #expect(try await Self.holding(fleet, 1) == ["s3"])
            #expect(try await Self.holding(fleet, 0) == ["s1", "s2", "s4"])
            var rollout = try await fleet.rollouts.named("apps")
            #expect(rollout.state == "running" && rollout.wave == 1 && rollout.waves == 3)
            #expect(rollout.progress.map(\.members) == [["s3"], ["s1"], ["s2", "s4"]])

            // Not applied yet: nothing moves. Applied: it soaks, and moves on only after the soak.
            #expect(try await fleet.rollouts.advance() == 0)
            try await Self.apply(fleet, ["s3"], at: clock.now)
            #expect(try await fleet.rollouts.advance() == 1)
            #expect(try await fleet.rollouts.named("apps").state == "soaking")
            clock.advance(5)
            #expect(try await fleet.rollouts.advance() == 0)
            clock.advance(6)
            try await Self.apply(fleet, ["s1", "s2", "s4"], at: clock.now)
            #expect(try await fleet.rollouts.advance() == 1)
            try await generations.check(fleet)
            #expect(try await Self.holding(fleet, 1) == ["s1", "s3"])
            rollout = try await fleet.rollouts.named("apps")
            #expect(rollout.state == "running" && rollout.wave == 2)
            #expect(rollout.progress[0].applied == 1 && rollout.progress[1].applied == 0)

            try await Self.apply(fleet, ["s1"], at: clock.now)
            #expect(try await fleet.rollouts.advance() == 1)
            clock.advance(11)
            try await Self.apply(fleet, ["s1", "s2", "s3", "s4"], at: clock.now)
            #expect(try await fleet.rollouts.advance() == 1)
            #expect(try await Self.holding(fleet, 1) == ["s1", "s2", "s3", "s4"])
            try await Self.apply(fleet, ["s2", "s4"], at: clock.now)
            #expect(try await fleet.rollouts.advance() == 1)
            clock.advance(11)
            try await Self.apply(fleet, ["s1", "s2", "s3", "s4"], at: clock.now)
            #expect(try await fleet.rollouts.advance() == 1)
            rollout = try await fleet.rollouts.named("apps")
            #expect(rollout.state == "completed")
            try await generations.check(fleet)
            #expect(try await Self.holding(fleet, 1) == ["s1", "s2", "s3", "s4"])

            // Finished: no action takes it.
            await expectFailure(.rolloutFinished) { try await fleet.rollouts.promote("apps") }
            let types = try await fleet.events.list(after: 0, limit: 100).map(\.type)
            #expect(types.filter { $0 == "rollout.wave.completed" }.count == 3)
            #expect(types.contains("rollout.started") && types.contains("rollout.completed"))
        }
    }

    @Test(arguments: Backend.allCases)
    func aNewerChangeCarriesOnAnAbortReturnsEveryMemberAndAFailureStops(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, clock in
            let policy = "waves=1,50%,100%;soak=0;order=canary=true"
            try await Self.seedRollout(fleet, policy: policy)
            let generations = Generations()
            try await Self.putApps(fleet, digest: 1, policy: policy)
            try await Self.apply(fleet, ["s3"], at: clock.now)
            #expect(try await fleet.rollouts.advance() == 1)
            #expect(try await fleet.rollouts.advance() == 1)
            #expect(try await Self.holding(fleet, 1) == ["s1", "s3"])
            try await generations.check(fleet)

            // A newer change carries on from wave 2: those reached take it, the rest still
            // hold what they held before the first.
            clock.advance(1)
            try await Self.putApps(fleet, digest: 2, policy: policy)
            try await generations.check(fleet)
            #expect(try await Self.holding(fleet, 2) == ["s1", "s3"])
            #expect(try await Self.holding(fleet, 0) == ["s2", "s4"])
            let all = try await fleet.rollouts.list(group: "apps")
            #expect(all.map(\.state) == ["running", "superseded"])
            #expect(all[0].wave == 2 && all[0].supersedes == all[1].id)

            // A newcomer takes the wave its place gives: after s1 by name, so wave 2.
            let token = try await fleet.satellites.create(SatelliteDefinition(name: "s1b", groups: ["apps"]))
            _ = try await fleet.register(token: token.token, publicKey: "k-s1b")
            let newcomer = try await fleet.desiredState(of: try Self.name("s1b"))
            #expect(newcomer.artifacts.compactMap(\.digest?.string) == [Self.digests[2]])

            // A member's failed sync stops it at its wave.
            clock.advance(1)
            try await Self.apply(fleet, ["s3"], at: clock.now)
            try await Self.apply(fleet, ["s1"], failing: true, at: clock.now)
            #expect(try await fleet.rollouts.advance() == 1)
            let failed = try await fleet.rollouts.named("apps")
            #expect(failed.state == "failed" && failed.wave == 2)
            #expect(failed.reason?.contains("s1") == true)
            #expect(try await fleet.rollouts.advance() == 0)

            // Abort: every member back on what it held before, at a higher generation.
            let aborted = try await fleet.rollouts.abort("apps")
            #expect(aborted.state == "aborted")
            try await generations.check(fleet)
            #expect(try await Self.holding(fleet, 0) == ["s1", "s2", "s3", "s4"])
            await expectFailure(.rolloutFinished) { try await fleet.rollouts.pause("apps") }
            let audit = try await fleet.auditLog(filter: .init(action: "rollout.")).map(\.action)
            #expect(audit.contains("rollout.aborted") && audit.contains("rollout.fail"))

            // The next change starts again from wave 1, from the same baseline.
            try await Self.putApps(fleet, digest: 3, policy: policy)
            try await generations.check(fleet)
            #expect(try await Self.holding(fleet, 3) == ["s3"])
            #expect(try await Self.holding(fleet, 0) == ["s1", "s2", "s4"])

            // Without a policy, every member at once.
            try await Self.putApps(fleet, digest: 3, policy: nil)
            try await generations.check(fleet)
            #expect(try await Self.holding(fleet, 3) == ["s1", "s2", "s3", "s4"])

            // A group deleted under an aborted rollout and made again holds its own content.
            try await Self.putApps(fleet, digest: 1, policy: policy)
            _ = try await fleet.rollouts.abort("apps")
            for member in ["s1", "s2", "s3", "s4", "s1b"] {
                try await fleet.satellites.removeGroup(try Self.name("apps"), from: try Self.name(member))
            }
            try await fleet.groups.delete(try Self.name("apps"))
            #expect(try await fleet.rollouts.named("apps").state == "superseded")
            try await Self.putApps(fleet, digest: 2, policy: nil)
            try await fleet.satellites.addGroup(try Self.name("apps"), to: try Self.name("s1"))
            #expect(try await Self.holding(fleet, 2) == ["s1"])
        }
    }

    @Test(arguments: Backend.allCases)
    func pauseHoldsAWaveAndPromoteMovesOnWithoutTheGate(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, clock in
            let policy = "waves=1,100%;soak=1h"
            try await Self.seedRollout(fleet, policy: policy)
            try await Self.putApps(fleet, digest: 1, policy: policy)
            #expect(try await Self.holding(fleet, 1) == ["s1"])
            _ = try await fleet.rollouts.pause("apps")
            try await Self.apply(fleet, ["s1"], at: clock.now)
            #expect(try await fleet.rollouts.advance() == 0)
            await expectFailure(.rolloutFinished) { try await fleet.rollouts.pause("apps") }
            _ = try await fleet.rollouts.resume("apps")
            #expect(try await fleet.rollouts.advance() == 1)
            #expect(try await fleet.rollouts.named("apps").state == "soaking")
            let promoted = try await fleet.rollouts.promote("apps")
            #expect(promoted.state == "running" && promoted.wave == 2)
            #expect(try await Self.holding(fleet, 1) == ["s1", "s2", "s3", "s4"])
            await expectFailure(.rolloutUnknown) { _ = try await fleet.rollouts.named("9999") }
            await expectFailure(.invalidField) {
                try await Self.putApps(fleet, digest: 2, policy: "waves=50%,10%")
            }
        }
    }
}
