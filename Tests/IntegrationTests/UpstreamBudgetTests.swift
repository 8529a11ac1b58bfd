import FleetAPI
import Foundation
import OCI
import SatelliteProtocol
import TestSupport
import Testing

/// A metered link on a real satellite: a 1 MiB monthly budget and a 5 MiB image. The image's
/// layer is never asked of the upstream (its access log says so); the satellite keeps serving,
/// says why in `satctl satellites show`, keeps its count across a restart, and fetches the
/// image once the group marks it critical, reporting what it took past the budget.
@Suite("Upstream budgets") struct UpstreamBudgetTests {
    @Test func aOneMiBBudgetFetchesNothingOfAFiveMiBImageUntilItIsCritical() async throws {
        try await withUpstream { work, images, upstream in
            var builder = try OCILayoutBuilder(path: work.appending("big"))
            var random = SeededGenerator(seed: 5)
            let payload = String(
                decoding: (0..<(5 << 20)).map { _ in UInt8.random(in: 97...122, using: &random) }, as: UTF8.self)
            let big = try builder.image(architecture: "amd64", layers: [["big.bin": payload]])
            try builder.tag(big, as: "big")
            try await upstream.push(layout: work.appending("big"), name: "big", to: "apps/big:1")
            try await upstream.push(layout: images.layout, name: "first", to: "apps/small:1")
            let layer = DigestHasher.digest(of: Tar.archive(["big.bin": payload]))
            let layerGets = { upstream.requestLog.filter { $0.contains("GET /v2/apps/big/blobs/\(layer)") }.count }

            let server = try await GroundControlProcess(directory: work, adminToken: "admin")
            defer { Task { await server.stop() } }
            try await defineGroup(server, upstream: upstream, work: work, artifacts: ["apps/small:1", "apps/big:1"])
            let token = try await createSatellite(
                server, "s1",
                options: ["--group", "edge", "--heartbeat-interval", "1", "--upstream-budget", "1MiB/month"])
            var agent = try await SatelliteAgent(
                state: nil, source: ["--ground-control", server.baseURL, "--token", token])
            defer { agent.terminate() }
            let held = try await agent.waitForStatus("the big image held back by the budget") { status in
                status.lastSync?.artifacts.contains { $0.reason == FailureReason.budgetExhausted.rawValue } == true
            }
            #expect(held.digest(of: "central/apps/small", tag: "1") != nil, "what fits is fetched")
            let used = try #require(held.meter?.budgets.first)
            #expect(used.exhausted && used.usedBytes <= 1 << 20, "\(used)")
            #expect(layerGets() == 0, "\(upstream.requestLog)")
            let shown = try await pollFor("the heartbeat to carry the meter") { () -> String? in
                let shown = try await satctl(server, token: "admin", ["satellites", "show", "s1"])
                return shown.contains("budget exhausted") ? shown : nil
            }
            #expect(shown.contains("1MiB/month"), "\(shown)")
            #expect(shown.contains("budgetExhausted"), "the artifact left undone is named: \(shown)")

            // Killed and restarted, it counts on from what it counted: still nothing of the layer.
            agent.child.signal(SIGKILL)
            try await poll("the satellite to stop") { !agent.child.isRunning }
            agent = try await SatelliteAgent(
                state: nil, directory: agent.directory, source: ["--ground-control", server.baseURL])
            let again = try await agent.waitForStatus("the first sync after the restart") { status in
                status.meter?.budgets.isEmpty == false
                    && status.lastSync?.artifacts.contains { $0.reason == FailureReason.budgetExhausted.rawValue }
                        == true
            }
            // Its manifest is asked again at each sync; the month's count carries on from before.
            let after = try #require(again.meter?.budgets.first?.usedBytes)
            #expect(after >= used.usedBytes && after <= 1 << 20, "\(after) after \(used.usedBytes)")
            #expect(layerGets() == 0)

            // Critical: fetched past the budget, and what it took is reported.
            try await satctl(
                server, token: "admin",
                [
                    "groups", "put", "edge", "--registry", "central", "--artifact", "apps/small:1",
                    "--critical-artifact", "apps/big:1",
                ])
            let fetched = try await agent.waitForStatus("the critical image fetched") { $0.allSynced }
            #expect(fetched.digest(of: "central/apps/big", tag: "1") == big.digest.string)
            // Everything past the first MiB of the month.
            let total = try #require(fetched.meter?.budgets.first?.usedBytes)
            #expect(total > 5 << 20 && fetched.meter?.overBudgetBytes == total - (1 << 20), "\(total)")
            #expect(layerGets() >= 1)
        }
    }
}
