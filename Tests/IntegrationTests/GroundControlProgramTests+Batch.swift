import FleetAPI
import Foundation
import SatelliteProtocol
import TestSupport
import Testing

extension GroundControlProgramTests {
    /// `satctl satellites create-batch --file`: a file of 1,500 satellites goes in requests of
    /// 1,000; when one is refused, the tokens already made are printed before the error, and a
    /// file that is not a batch is refused naming `--file`.
    @Test func satctlCreatesManySatellitesFromAFile() async throws {
        let work = try TemporaryDirectory("satctl-batch")
        defer { work.remove() }
        let server = try await GroundControlProcess(directory: work, adminToken: "admin")
        defer { Task { await server.stop() } }
        try await satctl(
            server, token: "admin", ["registries", "put", "central", "--registry-url", "http://127.0.0.1:1"])
        try await satctl(
            server, token: "admin",
            [
                "groups", "put", "edge", "--registry", "central", "--artifact",
                "library/app@sha256:" + String(repeating: "a", count: 64),
            ])
        func batchFile(_ name: String, _ names: [String]) throws -> String {
            let path = work.appending(name)
            let batch = SatelliteBatch(satellites: names.map { SatelliteDefinition(name: $0, groups: ["edge"]) })
            try APIJSON.encoder().encode(batch).write(to: URL(fileURLWithPath: path))
            return path
        }
        let first = try batchFile("first.json", (0..<1500).map { "edge-\($0)" })
        let printed = try await satctl(
            server, token: "admin", ["satellites", "create-batch", "--file", first, "--output", "json"])
        let tokens = try APIJSON.decoder().decode([RegistrationToken].self, from: Data(printed.utf8))
        #expect(tokens.count == 1500 && tokens.last?.name == "edge-1499")
        let listed = try await satctl(server, token: "admin", ["satellites", "list", "--output", "json"])
        #expect(try APIJSON.decoder().decode([SatelliteView].self, from: Data(listed.utf8)).count == 1500)

        // A page of them, and the counts, worked out by Ground Control.
        let page = try await satctl(
            server, token: "admin", ["satellites", "list", "--state", "pending", "--page", "2", "--page-size", "100"])
        #expect(page.contains("edge-1089") && page.contains("101–200 of 1500"), "\(page)")
        let counted = try await satctl(server, token: "admin", ["satellites", "count", "--output", "json"])
        let summary = try APIJSON.decoder().decode(FleetSummary.self, from: Data(counted.utf8))
        #expect(summary.satellites == 1500 && summary.byState["pending"] == 1500)

        // The second thousand names one that exists: the first thousand are made and printed.
        let second = try batchFile("second.json", (0..<1200).map { $0 == 1100 ? "edge-7" : "more-\($0)" })
        let satctl = try productPath("satctl")
        let partial = try await run(
            satctl,
            [
                "satellites", "create-batch", "--file", second, "--output", "json", "--url", server.baseURL, "--token",
                "admin",
            ])
        #expect(partial.status != 0)
        #expect(
            partial.error.contains("satellites 1000 onwards") && partial.error.contains("satellites[100]"),
            "\(partial.error)")
        let made = try APIJSON.decoder().decode([RegistrationToken].self, from: Data(partial.output.utf8))
        #expect(made.count == 1000 && made.first?.name == "more-0")

        try "not json".write(toFile: work.appending("bad.json"), atomically: true, encoding: .utf8)
        let bad = try await run(
            satctl,
            [
                "satellites", "create-batch", "--file", work.appending("bad.json"), "--url", server.baseURL, "--token",
                "admin",
            ])
        #expect(bad.status != 0 && bad.error.contains("--file"), "\(bad.error)")
    }
}
