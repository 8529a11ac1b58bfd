import Foundation
import OCI
import TestSupport
import Testing

extension SignaturePolicyTests {
    /// Pull-through under a policy: what no list names is fetched on a client's first pull only
    /// if its signature verifies; the signature is kept beside it, and an index's children (which
    /// carry no signature of their own) follow the index.
    @Test func pullThroughAdmitsOnlySignedImagesAndKeepsTheirSignatures() async throws {
        try await withUpstream { work, images, upstream in
            let creds = "\(UpstreamRegistry.username):\(UpstreamRegistry.password)"
            try await Self.cosign(["keygen", "ed25519", work.appending("trusted")])
            try await upstream.push(layout: images.layout, name: "multi", to: "apps/signed:v1", all: true)
            try await upstream.push(layout: images.layout, name: "other", to: "apps/unsigned:v1")
            try await Self.cosign([
                "push-simple", upstream.url, "apps/signed", images.index.digest.string, work.appending("trusted.key"),
                creds,
            ])
            let key = try String(contentsOfFile: work.appending("trusted.pub"), encoding: .utf8)
            let state = """
                schemaVersion: 1
                generation: 1
                upstreams:
                  - name: central
                    url: \(upstream.url)
                    username: \(UpstreamRegistry.username)
                    password: \(UpstreamRegistry.password)
                artifacts: []
                proxy:
                  - upstream: central
                    repositories: ["apps/*"]
                verification:
                  keys:
                    - |
                \(key.split(separator: "\n").map { "          " + $0 }.joined(separator: "\n"))

                """
            let agent = try await SatelliteAgent(state: state)
            defer { agent.terminate() }
            try await agent.waitForStatus("the state taken") { $0.lastSync?.generation == 1 }
            let accept = [
                "Accept": "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json"
            ]

            let signed = try await httpGet("\(agent.baseURL)/v2/central/apps/signed/manifests/v1", headers: accept)
            #expect(signed.status == 200 && signed.headers["docker-content-digest"] == images.index.digest.string)
            let child = try await httpGet(
                "\(agent.baseURL)/v2/central/apps/signed/manifests/\(images.amd64.digest)", headers: accept)
            #expect(child.status == 200, "an index's child was refused: \(String(decoding: child.body, as: UTF8.self))")
            let sigTag = images.index.digest.tagSchemaForm + ".sig"
            #expect(
                try await httpGet("\(agent.baseURL)/v2/central/apps/signed/manifests/\(sigTag)", headers: accept).status
                    == 200, "the signature was not kept")

            let unsigned = try await httpGet("\(agent.baseURL)/v2/central/apps/unsigned/manifests/v1", headers: accept)
            let text = String(decoding: unsigned.body, as: UTF8.self)
            #expect(
                unsigned.status == 403 && text.contains("signature policy") && text.contains("not signed"),
                "\(unsigned.status) \(text)")
            let held = try await agent.status()
            #expect(
                !held.inventory.contains { $0.repository == "central/apps/unsigned" }, "the unsigned image was stored")
        }
    }
}
