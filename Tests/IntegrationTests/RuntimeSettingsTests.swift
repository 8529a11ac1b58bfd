import Foundation
import TestSupport
import Testing

/// Ground Control names the runtimes a satellite points at itself: set, the satellite writes
/// their configuration; emptied, it puts every file back.
@Suite("Runtimes set from Ground Control") struct RuntimeSettingsTests {
    @Test func groundControlTurnsRuntimeConfigurationOnAndOff() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "library/app:1")
            let server = try await GroundControlProcess(directory: work, adminToken: "admin")
            let token = try await defineFleet(server, upstream: upstream, work: work, artifacts: ["library/app:1"])
            let node = work.appending("node")
            try FileManager.default.createDirectory(atPath: node, withIntermediateDirectories: true)
            let port = try freePort()
            let agent = try await SatelliteAgent(
                state: nil, arguments: ["--advertise", "http://127.0.0.1:\(port)", "--runtime-root", node],
                source: ["--ground-control", server.baseURL, "--token", token], port: port)
            defer { agent.terminate() }
            try await agent.waitForStatus("the first sync") { $0.allSynced }
            #expect(try treeSnapshot(node).isEmpty, "nothing is configured until asked")

            // A runtime Ground Control does not know is refused, naming the field.
            let refused = try await satctlFailing(server, ["satellites", "settings", "edge-01", "--runtimes", "rkt"])
            #expect(refused.contains("settings.runtimes[0]"), "\(refused)")

            try await satctl(
                server, token: "admin", ["satellites", "settings", "edge-01", "--runtimes", "podman,containerd"])
            let dropIn = node + "/etc/containers/registries.conf.d/50-satellite.conf"
            try await poll("the drop-in from Ground Control's setting", timeout: .seconds(30)) {
                FileManager.default.fileExists(atPath: dropIn)
                    && FileManager.default.fileExists(
                        atPath: "\(node)/etc/containerd/certs.d/\(upstream.host)/hosts.toml")
            }
            let text = try String(contentsOfFile: dropIn, encoding: .utf8)
            #expect(text.contains("location = \"127.0.0.1:\(port)/central\""), "\(text)")
            let shown = try await satctl(server, token: "admin", ["satellites", "show", "edge-01"])
            #expect(shown.contains("runtimes: podman,containerd"), "\(shown)")

            // Taken back: every file restored, nothing left under the root.
            try await satctl(server, token: "admin", ["satellites", "settings", "edge-01", "--runtimes", ""])
            do {
                try await poll("the runtimes restored", timeout: .seconds(30)) { try treeSnapshot(node).isEmpty }
            } catch {
                Issue.record(
                    """
                    \(error): left \
                    \(try treeSnapshot(node).keys.sorted())\nlog:\n\(agent.child.errorOutput.suffix(3000))
                    """
                )
            }
            await server.stop()
        }
    }

    private func satctlFailing(_ server: GroundControlProcess, _ arguments: [String]) async throws -> String {
        let result = try await run(
            try productPath("satctl"), arguments + ["--url", server.baseURL, "--token", "admin"])
        #expect(result.status != 0)
        return result.output + result.error
    }
}
