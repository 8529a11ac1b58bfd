import FleetAPI
import Foundation
import OCI
import SatelliteProtocol
import TestSupport
import Testing

/// Real satellites under a rollout: four members of a group whose tag moves upstream, reached
/// wave by wave through Ground Control's gate; an abort that takes the first wave back with
/// pulls answered throughout and nothing fetched; a member whose sync fails stopping it.
@Suite("Rollouts", .serialized)
struct RolloutTests {
    static let policy = "waves=1,50%,100%;soak=3s;max-failed=0;order=canary=true"

    /// Ground Control, an upstream holding `apps/app:v1` at `images.first`, and four satellites of
    /// group `edge` (s4 the canary) that hold it.
    struct Fleet {
        let server: GroundControlProcess
        let upstream: UpstreamRegistry
        let images: TestImages
        let members: [String: SatelliteAgent]

        func digests() async throws -> [String: String] {
            var digests: [String: String] = [:]
            for (name, agent) in members {
                digests[name] = try await agent.status().digest(of: "central/apps/app", tag: "v1") ?? "-"
            }
            return digests
        }

        func rollout() async throws -> RolloutView {
            let shown = try await satctl(server, token: "admin", ["rollouts", "show", "edge", "--output", "json"])
            return try APIJSON.decoder().decode(RolloutView.self, from: Data(shown.utf8))
        }

        func waitForRollout(_ what: String, _ condition: @escaping (RolloutView) -> Bool) async throws -> RolloutView {
            try await pollFor(what, timeout: .seconds(60)) { () -> RolloutView? in
                let rollout = try await rollout()
                return condition(rollout) ? rollout : nil
            }
        }

        func stop() async {
            for agent in members.values { agent.terminate() }
            await server.stop()
        }
    }

    static func withFleet(_ body: (Fleet) async throws -> Void) async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "apps/app:v1")
            let server = try await GroundControlProcess(
                directory: work, adminToken: "admin", extraArguments: ["--resolve-interval", "1"])
            try await defineGroup(server, upstream: upstream, work: work, artifacts: ["apps/app:v1"])
            try await satctl(
                server, token: "admin",
                ["groups", "put", "edge", "--registry", "central", "--artifact", "apps/app:v1", "--rollout", policy])
            var members: [String: SatelliteAgent] = [:]
            for name in ["s1", "s2", "s3", "s4"] {
                let token = try await createSatellite(
                    server, name,
                    options: ["--group", "edge", "--heartbeat-interval", "1"]
                        + (name == "s4" ? ["--label", "canary=true"] : []))
                members[name] = try await SatelliteAgent(
                    state: nil, source: ["--ground-control", server.baseURL, "--token", token])
            }
            let fleet = Fleet(server: server, upstream: upstream, images: images, members: members)
            do {
                for agent in members.values {
                    try await agent.waitForStatus("each member to hold v1") {
                        $0.digest(of: "central/apps/app", tag: "v1") == images.first.digest.string
                    }
                }
                try await body(fleet)
            } catch {
                await fleet.stop()
                throw error
            }
            await fleet.stop()
        }
    }

    @Test func aMovedTagReachesTheCanaryFirstThenEachWaveAfterTheSoak() async throws {
        try await Self.withFleet { fleet in
            let first = fleet.images.first.digest.string
            let second = fleet.images.second.digest.string
            try await fleet.upstream.push(layout: fleet.images.layout, name: "second", to: "apps/app:v1")

            // Wave 1: the canary alone; the others go on holding v1 as it was.
            let canary = try await #require(fleet.members["s4"]).waitForStatus("the canary to take the new v1") {
                $0.digest(of: "central/apps/app", tag: "v1") == second
            }
            let reached = try await fleet.rollout()
            #expect(reached.wave == 1 && reached.progress.map(\.members) == [["s4"], ["s1"], ["s2", "s3"]])
            #expect(try await fleet.digests() == ["s1": first, "s2": first, "s3": first, "s4": second])

            // Wave 2 after the soak, then wave 3, then done.
            let secondWave = try await #require(fleet.members["s1"]).waitForStatus("wave 2 to take the new v1") {
                $0.digest(of: "central/apps/app", tag: "v1") == second
            }
            let soaked = (secondWave.lastSync?.finishedAt ?? .distantPast)
                .timeIntervalSince(canary.lastSync?.finishedAt ?? .distantFuture)
            #expect(soaked >= 3, "wave 2 synced \(soaked) s after the canary, inside its 3 s soak")
            #expect(try await fleet.digests()["s2"] == first)
            let done = try await fleet.waitForRollout("the rollout to complete") { $0.state == "completed" }
            #expect(done.progress.allSatisfy { $0.reached && $0.applied == $0.members.count && $0.failed == 0 })
            #expect(try await fleet.digests() == ["s1": second, "s2": second, "s3": second, "s4": second])
            let events = try await satctl(fleet.server, token: "admin", ["audit", "--limit", "200"])
            #expect(events.contains("rollout.wave") && events.contains("rollout.complete"), "\(events)")
        }
    }

    @Test func anAbortTakesTheFirstWaveBackAndAFailedSyncStopsTheRollout() async throws {
        try await Self.withFleet { fleet in
            let first = fleet.images.first.digest.string
            let second = fleet.images.second.digest.string
            let canary = try #require(fleet.members["s4"])
            try await satctl(
                fleet.server, token: "admin",
                [
                    "groups", "put", "edge", "--registry", "central", "--artifact", "apps/app:v1",
                    "--rollout", "waves=1,100%;soak=1h;order=canary=true",
                ])
            try await fleet.upstream.push(layout: fleet.images.layout, name: "second", to: "apps/app:v1")
            try await canary.waitForStatus("the canary to take the new v1") {
                $0.digest(of: "central/apps/app", tag: "v1") == second
            }
            _ = try await fleet.waitForRollout("the canary's wave to soak") { $0.state == "soaking" }

            // Pulls of v1 from the canary, all through the abort.
            let puller = Task { () -> [Int] in
                var statuses: [Int] = []
                while !Task.isCancelled {
                    let reply = try? await httpGet(
                        "\(canary.baseURL)/v2/central/apps/app/manifests/v1",
                        headers: ["Accept": "application/vnd.oci.image.manifest.v1+json"])
                    // A pull cut short by this task's own end is not an answer of the satellite's.
                    if Task.isCancelled { break }
                    statuses.append(reply?.status ?? 0)
                    try? await Task.sleep(for: .milliseconds(50))
                }
                return statuses
            }
            try await satctl(fleet.server, token: "admin", ["rollouts", "abort", "edge"])
            let back = try await canary.waitForStatus("the canary back on the old v1") {
                $0.digest(of: "central/apps/app", tag: "v1") == first
            }
            puller.cancel()
            let statuses = await puller.value
            #expect(!statuses.isEmpty && statuses.allSatisfy { $0 == 200 }, "pulls during the abort: \(statuses)")
            #expect(back.lastSync?.bytesFetched == 0, "the old v1 was still held: nothing to fetch")
            #expect(try await fleet.digests().values.allSatisfy { $0 == first })
            #expect(try await fleet.rollout().state == "aborted")

            // A tag the upstream lacks: the canary's sync fails and the rollout stops at wave 1.
            try await satctl(
                fleet.server, token: "admin",
                [
                    "groups", "put", "edge", "--registry", "central", "--artifact", "apps/app:v1",
                    "--artifact", "apps/app:missing", "--rollout", "waves=1,100%;soak=0;order=canary=true",
                ])
            let failed = try await fleet.waitForRollout("the rollout to fail") { $0.state == "failed" }
            #expect(failed.wave == 1 && failed.reason?.contains("s4") == true, "\(failed)")
            let others = try await fleet.members["s1"]?.status().lastSync?.artifacts.map(\.reference) ?? []
            #expect(!others.contains { $0.contains("missing") }, "s1 was given the change: \(others)")
        }
    }
}
