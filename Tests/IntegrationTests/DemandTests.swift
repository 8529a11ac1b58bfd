import FleetAPI
import Foundation
import SatelliteProtocol
import TestSupport
import Testing

/// Demand from a real satellite: a device's pull-through miss, requests the rules deny and a
/// registry the satellite does not mirror reach Ground Control in heartbeats; `satctl demand`
/// lists them, `satctl demand add` puts one in the group and the satellite then holds it by
/// the state; the counts survive a SIGKILL and restart.
@Suite("Demand signals") struct DemandTests {
    @Test func devicesMissesReachGroundControlAndOneIsAddedToTheGroup() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "apps/small:1")
            try await upstream.push(layout: images.layout, name: "second", to: "apps/proxied:1")
            let server = try await GroundControlProcess(directory: work, adminToken: "admin")
            defer { Task { await server.stop() } }
            try await defineGroup(server, upstream: upstream, work: work, artifacts: ["apps/small:1"])
            try await satctl(
                server, token: "admin",
                [
                    "groups", "put", "edge", "--registry", "central", "--artifact", "apps/small:1", "--proxy-allow",
                    "apps/proxied",
                ])
            let token = try await createSatellite(
                server, "s1", options: ["--group", "edge", "--heartbeat-interval", "1"])
            var agent = try await SatelliteAgent(
                state: nil, source: ["--ground-control", server.baseURL, "--token", token])
            defer { agent.terminate() }
            try await agent.waitForStatus("the first sync") { $0.allSynced }

            // A device: one pull-through, a repository outside the rules twice, a registry not mirrored.
            let accept = ["Accept": "application/vnd.oci.image.manifest.v1+json"]
            #expect(
                try await httpGet(agent.baseURL + "/v2/central/apps/proxied/manifests/1", headers: accept).status == 200
            )
            for _ in 0..<2 {
                #expect(
                    try await httpGet(agent.baseURL + "/v2/central/apps/other/manifests/2", headers: accept).status
                        == 403)
            }
            #expect(
                try await httpGet(agent.baseURL + "/v2/library/alpine/manifests/3.20?ns=ghcr.io", headers: accept)
                    .status
                    == 404)

            let listed = try await pollFor("the demand in Ground Control") { () -> DemandList? in
                let output = try await satctl(server, token: "admin", ["demand", "list", "--output", "json"])
                let list = try APIJSON.decoder().decode(DemandList.self, from: Data(output.utf8))
                return list.entries.count == 3 ? list : nil
            }
            let byArtifact = Dictionary(listed.entries.map { ($0.artifact, $0) }) { first, _ in first }
            #expect(byArtifact["apps/other:2"]?.denied == 2 && byArtifact["apps/other:2"]?.registry == "central")
            #expect(byArtifact["apps/proxied:1"]?.misses == 1)
            #expect(byArtifact["library/alpine:3.20"]?.host == "ghcr.io")
            #expect(
                try await satctl(server, token: "admin", ["satellites", "show", "s1"]).contains("central/apps/other:2"))
            let table = try await satctl(server, token: "admin", ["demand"])
            #expect(table.contains("apps/proxied:1") && table.contains("NOT FOUND"), "\(table)")

            // Added to the group: it leaves the list, and the satellite holds it by its state.
            let added = try await satctl(
                server, token: "admin", ["demand", "add", "edge", "apps/proxied:1", "--registry", "central"])
            #expect(added.contains("added apps/proxied:1 to group edge"), "\(added)")
            let again = try await satctl(server, token: "admin", ["demand", "add", "edge", "apps/proxied:1"])
            #expect(again.contains("names apps/proxied:1 already"), "\(again)")
            let remaining = try await satctl(server, token: "admin", ["demand", "list", "--output", "json"])
            #expect(!remaining.contains("apps/proxied"), "\(remaining)")
            try await agent.waitForStatus("the added artifact synced by the state") { status in
                status.allSynced
                    && status.lastSync?.artifacts.contains { $0.reference.contains("apps/proxied") } == true
            }

            // Killed and restarted, it still knows what was asked for (written every 5 s).
            try await poll("the counts written", timeout: .seconds(30)) {
                let file = agent.dataDirectory + "/demand.json"
                return (FileManager.default.contents(atPath: file).map { String(decoding: $0, as: UTF8.self) } ?? "")
                    .contains("apps/other")
            }
            agent.child.signal(SIGKILL)
            try await poll("the satellite to stop") { !agent.child.isRunning }
            agent = try await SatelliteAgent(
                state: nil, directory: agent.directory, source: ["--ground-control", server.baseURL])
            let status = try await agent.status()
            #expect(status.demand?.entries.first { $0.repository == "apps/other" }?.denied == 2, "\(status)")
            let text = try await runChecked(
                try productPath("satellite"), ["status", "--data-dir", agent.dataDirectory])
            #expect(text.contains("asked for but not held") && text.contains("central/apps/other:2"), "\(text)")
        }
    }
}
