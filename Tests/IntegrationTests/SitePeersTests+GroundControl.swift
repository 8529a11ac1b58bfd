import FleetAPI
import Foundation
import OCI
import SatelliteProtocol
import TestSupport
import Testing

extension SitePeersTests {
    /// A node added to a site needs no configuration: Ground Control lists the satellites of its
    /// `site` label that advertise an address as its peers, with the site's credential, and the
    /// new satellite fills itself from them. satctl shows where the bytes came from.
    @Test func groundControlMakesANewNodeOfASiteFillFromItsPeers() async throws {
        try await withUpstream { work, _, upstream in
            let images = try SiteImages(in: work)
            try await images.push(to: upstream)
            let server = try await GroundControlProcess(directory: work, adminToken: "admin")
            defer { Task { await server.stop() } }
            try await defineGroup(server, upstream: upstream, work: work, artifacts: ["apps/app:v1", "apps/tools:v1"])
            func join(_ name: String) async throws -> SatelliteAgent {
                let token = try await createSatellite(
                    server, name, options: ["--group", "edge", "--label", "site=hamburg"])
                let port = try freePort()
                return try await SatelliteAgent(
                    state: nil, arguments: ["--advertise", "http://127.0.0.1:\(port)"],
                    source: ["--ground-control", server.baseURL, "--token", token],
                    port: port)
            }

            let first = try await join("hamburg-1")
            defer { first.terminate() }
            try await first.waitForStatus("the first node's sync") { $0.allSynced && !$0.inventory.isEmpty }
            // It advertised itself in its heartbeat.
            try await poll("Ground Control to know the first node's address") {
                try await satctl(server, token: "admin", ["satellites", "show", "hamburg-1"]).contains(
                    "advertised at http://127.0.0.1:\(first.port)")
            }

            let before = Self.upstreamBlobBytes(upstream)
            let second = try await join("hamburg-2")
            defer { second.terminate() }
            let status = try await second.waitForStatus("the new node's sync") { $0.allSynced && !$0.inventory.isEmpty }
            try await Self.expectHoldsWhole(images.blobs, second)
            #expect(Self.upstreamBlobBytes(upstream) == before, "the new node took blobs from the upstream")
            #expect((status.transfer?.fromPeersBytes ?? 0) >= images.blobBytes)

            let sites = try await pollFor("satctl sites to show what the peers sent") { () -> String? in
                let shown = try await satctl(server, token: "admin", ["sites"])
                return shown.contains("hamburg-1,hamburg-2") && !shown.contains("0 B ") ? shown : nil
            }
            #expect(sites.contains("hamburg"), "\(sites)")
            let shown = try await satctl(server, token: "admin", ["satellites", "show", "hamburg-2"])
            #expect(shown.contains("site") && shown.contains("from peers"), "\(shown)")
        }
    }
}
