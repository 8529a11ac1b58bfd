import Foundation
import RegistryStore
import SatelliteProtocol
import TestSupport
import Testing

extension Reliability.CrashLoopTests {
    /// `satellite import` killed with SIGKILL at random moments: after each kill the store is
    /// sound (blobs whole or absent, every manifest's content present), and the next import
    /// completes the bundle.
    @Test func killNineDuringImportLeavesTheStoreSoundAndTheNextImportCompletes() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "big", to: "apps/big:v1")
            try await upstream.push(layout: images.layout, name: "multi", to: "apps/multi:v1")
            let server = try await GroundControlProcess(directory: work, adminToken: "admin")
            defer { Task { await server.stop() } }
            _ = try await defineFleet(
                server, upstream: upstream, work: work, artifacts: ["apps/big:v1", "apps/multi:v1"])
            try await satctl(
                server, token: "admin", ["satellites", "bundle", "edge-01", "-o", work.appending("b.tar")])
            _ = try await server.savePublicKey(to: work.appending("gc.pub"))

            let site = try TemporaryDirectory("import-crash")
            defer { site.remove() }
            let data = site.appending("data")
            var generator = SystemRandomNumberGenerator()
            var kills = 0
            for _ in 0..<6 {
                let child = try ChildProcess(
                    try productPath("satellite"),
                    [
                        "import", work.appending("b.tar"), "--data-dir", data, "--state-public-key",
                        work.appending("gc.pub"),
                    ],
                    logDirectory: site.path)
                try await Task.sleep(for: .milliseconds(Int.random(in: 5..<150, using: &generator)))
                child.signal(SIGKILL)
                let status = try await child.waitForExit(timeout: .seconds(30))
                if status != 0 { kills += 1 }
                // Killed before the store was made: nothing to inspect.
                guard FileManager.default.fileExists(atPath: data + "/registry.sqlite") else { continue }
                let inspection = try StoreInspection.inspect(directory: data)
                #expect(inspection.problems.isEmpty, "after kill \(kills): \(inspection.problems.prefix(5))")
            }
            let done = try await BundleTests.importBundle(
                work.appending("b.tar"), into: data, key: work.appending("gc.pub"))
            #expect(done.status == 0, "\(done)")
            let agent = try await SatelliteAgent(
                state: nil, directory: site,
                source: ["--state-file", data + "/imported-state.json", "--state-public-key", work.appending("gc.pub")])
            defer { agent.child.signal(SIGKILL) }
            try await agent.waitForStatus("the bundle served after \(kills) kills") { $0.allSynced }
            #expect(try await BundleTests.served(agent, "central/apps/big", "v1") == images.big.digest.string)
            print(
                """
                CrashLoopTests (import): \(kills) of 6 imports killed midway; the store sound after each, and the \
                next import completed
                """
            )
        }
    }
}
