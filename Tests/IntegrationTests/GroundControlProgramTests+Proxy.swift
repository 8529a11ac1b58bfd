import FleetAPI
import Foundation
import SatelliteProtocol
import TestSupport
import Testing

extension GroundControlProgramTests {
    /// Pull-through rules are defined per group with satctl and reach a satellite's state.
    @Test func pullThroughRulesAreDefinedWithSatctl() async throws {
        let work = try TemporaryDirectory("proxy-rules")
        defer { work.remove() }
        let server = try await GroundControlProcess(directory: work, adminToken: "admin")
        try await satctl(
            server, token: "admin", ["registries", "put", "central", "--registry-url", "http://127.0.0.1:9"])
        let shown = try await satctl(
            server, token: "admin",
            [
                "groups", "put", "proxied", "--registry", "central", "--proxy-allow", "library/*", "--proxy-allow",
                "apps/**", "--proxy-tag-ttl", "60",
            ])
        #expect(
            shown.contains("pull-through") && shown.contains("library/* apps/**") && shown.contains("tag TTL 60 s"),
            "\(shown)")

        let refused = try await run(
            try productPath("satctl"),
            [
                "groups", "put", "bad", "--registry", "central", "--proxy-allow", "Library/*",
                "--url", server.baseURL, "--token", "admin",
            ])
        #expect(refused.status != 0 && refused.error.contains("--proxy-allow"), "\(refused.error)")

        // Adding an artifact keeps the rules.
        try await satctl(server, token: "admin", ["groups", "add", "proxied", "library/alpine:3.20"])
        let json = try await satctl(server, token: "admin", ["groups", "show", "proxied", "--output", "json"])
        let group = try APIJSON.decoder().decode(GroupView.self, from: Data(json.utf8))
        #expect(
            group.proxy?.repositories.map(\.value) == ["library/*", "apps/**"] && group.proxy?.tagTTL == 60
                && group.artifacts.count == 1)

        // A satellite's cache budget: set at creation, changed, handed back to the node's flag.
        try await satctl(
            server, token: "admin",
            ["satellites", "create", "edge-01", "--group", "proxied", "--cache-max-bytes", "512M"])
        #expect(
            try await satctl(server, token: "admin", ["satellites", "show", "edge-01"]).contains(
                "cache budget: 536870912 bytes"))
        let badBudget = try await run(
            try productPath("satctl"),
            [
                "satellites", "settings", "edge-01", "--cache-max-bytes", "12Q",
                "--url", server.baseURL, "--token", "admin",
            ])
        #expect(badBudget.status != 0 && badBudget.error.contains("--cache-max-bytes"), "\(badBudget.error)")
        try await satctl(server, token: "admin", ["satellites", "settings", "edge-01", "--cache-max-bytes", ""])
        #expect(
            try await satctl(server, token: "admin", ["satellites", "show", "edge-01"]).contains(
                "cache budget: the node's own"))
        await server.stop()
    }
}
