import FleetAPI
import Foundation
import OCI
import SatelliteProtocol
import TestSupport
import Testing

extension SignaturePolicyTests {
    /// A group's policy set in Ground Control reaches its satellites inside the signed state: an
    /// unsigned image is withheld and Ground Control shows which and why; widening the policy
    /// admits it.
    @Test func aGroupsPolicyReachesItsSatellitesAndTheFleetViewSaysWhatItWithholds() async throws {
        try await withUpstream { work, images, upstream in
            let creds = "\(UpstreamRegistry.username):\(UpstreamRegistry.password)"
            try await Self.cosign(["keygen", "ecdsa", work.appending("trusted")])
            try await upstream.push(layout: images.layout, name: "first", to: "apps/signed:v1")
            try await upstream.push(layout: images.layout, name: "other", to: "apps/unsigned:v1")
            try await Self.cosign([
                "push-simple", upstream.url, "apps/signed", images.first.digest.string, work.appending("trusted.key"),
                creds,
            ])

            let server = try await GroundControlProcess(directory: work, adminToken: "admin")
            defer { Task { await server.stop() } }
            try Data(UpstreamRegistry.password.utf8).write(to: URL(fileURLWithPath: work.appending("password")))
            try await satctl(
                server, token: "admin",
                [
                    "registries", "put", "central", "--registry-url", upstream.url,
                    "--username", UpstreamRegistry.username, "--password-file", work.appending("password"),
                ])
            let group = [
                "groups", "put", "edge", "--registry", "central", "--artifact", "apps/signed:v1", "--artifact",
                "apps/unsigned:v1",
            ]
            let shown = try await satctl(
                server, token: "admin", group + ["--verify-key", work.appending("trusted.pub")])
            #expect(shown.contains("signatures") && shown.contains("required"), "\(shown)")
            // A key that is not one is refused at the API, naming it.
            try Data("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".utf8).write(
                to: URL(fileURLWithPath: work.appending("bad.pub")))
            await #expect(throws: (any Error).self) {
                try await satctl(server, token: "admin", group + ["--verify-key", work.appending("bad.pub")])
            }

            let created = try await satctl(
                server, token: "admin",
                ["satellites", "create", "edge-01", "--group", "edge", "--heartbeat-interval", "1", "--output", "json"])
            let token = try APIJSON.decoder().decode(RegistrationToken.self, from: Data(created.utf8)).token
            let agent = try await SatelliteAgent(
                state: nil, source: ["--ground-control", server.baseURL, "--token", token])
            defer { agent.terminate() }
            try await agent.waitForStatus("the signed image") {
                $0.digest(of: "central/apps/signed", tag: "v1") == images.first.digest.string
            }
            let view = try await pollFor("Ground Control to show what is withheld") { () -> String? in
                let shown = try await satctl(server, token: "admin", ["satellites", "show", "edge-01"])
                return shown.contains("apps/unsigned:v1") && shown.contains("signature") ? shown : nil
            }
            #expect(view.contains("not signed"), "\(view)")

            // Signatures optional: the unsigned image is admitted.
            try await satctl(
                server, token: "admin",
                group + ["--verify-key", work.appending("trusted.pub"), "--signatures-optional"])
            try await agent.waitForStatus("the unsigned image under the optional policy") {
                $0.digest(of: "central/apps/unsigned", tag: "v1") == images.other.digest.string
            }
        }
    }
}
