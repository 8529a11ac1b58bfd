import FleetAPI
import Foundation
import SatelliteProtocol
import Synchronization
import TestSupport
import Testing

/// A site keeps pulling while everything behind its satellite goes away: Ground Control, the
/// upstream registry, both, and the satellite's own restart in the middle of it. Real processes
/// throughout; a device pulls with skopeo every 200 ms and no pull may fail.
@Suite("Offline resilience") struct OfflineResilienceTests {
    static let syncInterval = 4

    @Test func pullsNeverFailWhileGroundControlAndTheUpstreamComeAndGo() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "library/app:1")
            try await upstream.push(layout: images.layout, name: "other", to: "library/tools:1")
            let groundControlPort = try freePort()
            var server = try await GroundControlProcess(directory: work, adminToken: "admin", port: groundControlPort)
            let token = try await defineFleet(
                server, upstream: upstream, work: work, artifacts: ["library/app:1", "library/tools:1"],
                satelliteOptions: ["--sync-interval", String(Self.syncInterval), "--heartbeat-interval", "1"])
            var agent = try await SatelliteAgent(
                state: nil, source: ["--ground-control", server.baseURL, "--token", token])
            let agentDirectory = agent.directory
            defer { agent.terminate() }
            try await agent.waitForStatus("the first sync", timeout: .seconds(60)) {
                $0.allSynced && $0.inventory.count == 2
            }

            var pulls = try PullLoop(satellite: agent.host, images: ["library/app:1", "library/tools:1"], work: work)
            defer { pulls.stop() }
            try await pulls.waitForMore(5, "with everything up")

            await server.stop()
            try await pulls.waitForMore(5, "with Ground Control down")

            await upstream.stop()
            let bothDown = Date()
            try await pulls.waitForMore(5, "with Ground Control and the upstream down")
            // Syncs go on from the saved state: Ground Control pins every tag to a digest, and what
            // the store holds by digest needs no upstream.
            try await agent.waitForStatus("a sync with both down", timeout: .seconds(30)) { status in
                status.allSynced && (status.lastSync?.finishedAt ?? .distantPast) > bothDown
            }

            // A restart with both still down: pulls pause only while no process listens.
            pulls.stop()
            await agent.child.stop()
            agent = try await SatelliteAgent(
                state: nil, directory: agentDirectory, source: ["--ground-control", server.baseURL], port: agent.port)
            pulls = try PullLoop(satellite: agent.host, images: ["library/app:1", "library/tools:1"], work: work)
            try await pulls.waitForMore(5, "after a restart with both down")
            #expect(try await agent.status().inventory.count == 2)

            // Both back, with something new to hold: the satellite notices Ground Control again
            // and is in line within one sync interval of the change.
            try await upstream.start()
            server = try await GroundControlProcess(directory: work, adminToken: "admin", port: groundControlPort)
            let back = Date()
            try await upstream.push(layout: images.layout, name: "second", to: "library/new:1")
            try await satctl(server, token: "admin", ["groups", "add", "edge", "library/new:1"])
            let changed = ContinuousClock.now
            let view = try await pollFor("Ground Control to show the satellite in line", timeout: .seconds(60)) {
                () -> SatelliteView? in
                let view = try await satelliteView(server)
                return view.lastSync?.succeeded == true && view.appliedGeneration == view.desiredGeneration
                    && !view.drift.behind && view.drift.missing.isEmpty && (view.lastSeen ?? .distantPast) > back
                    && view.lastSync?.failures == nil ? view : nil
            }
            let inLineAfter = ContinuousClock.now - changed
            print(
                """
                OfflineResilienceTests: in line \(inLineAfter) after the group changed, Ground Control and the \
                upstream back; \(pulls.succeeded) pulls since the restart, none failed
                """
            )
            // One sync interval, plus the heartbeat (1 s) that carries the sync's report: 0.7 to
            // 1.5 s under a full parallel run. What can fail is a backoff grown through the outage
            // (up to two minutes), so the bound leaves this process's clock room under load.
            #expect(
                inLineAfter < .seconds(Self.syncInterval * 3), "\(view)\nlog:\n\(agent.child.errorOutput.suffix(4000))")
            #expect(try await agent.status().inventory.count == 3)
            try await pulls.waitForMore(3, "with everything back")
            #expect(pulls.failures.isEmpty, "\(pulls.failures)")
            await server.stop()
        }
    }

    /// Revoked, a satellite stops syncing and reporting, says why in its log and its status, and
    /// keeps serving what it holds.
    @Test func aRevokedSatelliteKeepsServingButNoLongerSyncsOrReports() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "library/app:1")
            let server = try await GroundControlProcess(directory: work, adminToken: "admin")
            let token = try await defineFleet(
                server, upstream: upstream, work: work, artifacts: ["library/app:1"],
                satelliteOptions: ["--sync-interval", "1", "--heartbeat-interval", "1"])
            let agent = try await SatelliteAgent(
                state: nil, source: ["--ground-control", server.baseURL, "--token", token])
            defer { agent.terminate() }
            try await agent.waitForStatus("the first sync", timeout: .seconds(60)) {
                $0.allSynced && $0.inventory.count == 1
            }
            let pulls = try PullLoop(satellite: agent.host, images: ["library/app:1"], work: work)
            defer { pulls.stop() }

            try await satctl(server, token: "admin", ["satellites", "revoke", "edge-01"])
            let status = try await agent.waitForStatus("the status to say revoked", timeout: .seconds(30)) {
                $0.revoked != nil
            }
            #expect(status.revoked?.contains("revoked") == true)
            try await poll("the log to say revoked") { agent.child.errorOutput.contains("was revoked or deleted") }
            let shown = try await runChecked(
                try productPath("satellite"), ["status", "--data-dir", agent.dataDirectory])
            #expect(shown.contains("REVOKED"), "\(shown)")

            // Nothing more is synced or reported, over several sync and heartbeat intervals.
            let lastSync = try await agent.status().lastSync?.finishedAt
            let lastSeen = try await satelliteView(server).lastSeen
            try await pulls.waitForMore(15, "after the revocation")
            #expect(try await agent.status().lastSync?.finishedAt == lastSync)
            let view = try await satelliteView(server)
            #expect(view.state == "revoked" && view.lastSeen == lastSeen, "\(view)")
            #expect(agent.child.errorOutput.components(separatedBy: "was revoked or deleted").count == 2, "said once")
            #expect(pulls.failures.isEmpty, "\(pulls.failures)")
            await server.stop()
        }
    }

    private func satelliteView(_ server: GroundControlProcess) async throws -> SatelliteView {
        try APIJSON.decoder().decode(
            SatelliteView.self,
            from: try await httpGet(
                "\(server.baseURL)/api/v1/satellites/edge-01", headers: ["Authorization": "Bearer admin"]
            ).body)
    }
}

/// A device pulling from the satellite: `skopeo copy` of each image in turn, every 200 ms, until
/// stopped; counts what succeeded and keeps what failed.
final class PullLoop: Sendable {
    private final class Tally: Sendable {
        struct Counts { var succeeded = 0; var failures: [String] = [] }
        let counts = Mutex(Counts())
    }

    private let tally = Tally()
    private let task: Task<Void, Never>

    var succeeded: Int { tally.counts.withLock { $0.succeeded } }
    var failures: [String] { tally.counts.withLock { $0.failures } }

    init(satellite host: String, images: [String], work: TemporaryDirectory) throws {
        let skopeo = try requireTool("skopeo", package: "skopeo")
        let tally = self.tally
        task = Task {
            var turn = 0
            while !Task.isCancelled {
                let image = images[turn % images.count]
                let destination = work.appending("pulled-\(turn)")
                turn += 1
                let result = try? await run(
                    skopeo,
                    ["copy", "--quiet", "--src-tls-verify=false", "docker://\(host)/\(image)", "dir:\(destination)"],
                    timeout: .seconds(30))
                try? FileManager.default.removeItem(atPath: destination)
                // A pull cut by stopping the loop (the satellite's restart) is not counted.
                if Task.isCancelled { break }
                tally.counts.withLock {
                    if result?.status == 0 {
                        $0.succeeded += 1
                    } else {
                        $0.failures.append("\(image): \(result?.error ?? "timed out")")
                    }
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// Waits until `count` more pulls have succeeded; fails at once on a failed pull.
    func waitForMore(_ count: Int, _ phase: String) async throws {
        let target = succeeded + count
        try await poll("\(count) pulls \(phase)", timeout: .seconds(60)) {
            let failures = self.failures
            if !failures.isEmpty { throw TestSupportError("a pull failed \(phase): \(failures)") }
            return self.succeeded >= target
        }
    }

    func stop() {
        task.cancel()
    }
}
