import Foundation
import OCI
import TestSupport
import Testing

/// A state's `verification:` policy: `satellite run` admits only artifacts whose cosign-compatible
/// signature (a `.sig` tag or a sigstore-bundle referrer, made in cosign's formats by
/// `cosign-sign.py`) names their digest and verifies with a trusted key, against docker-registry.
@Suite struct SignaturePolicyTests {
    static let script = "\(RealClientTests.scripts)/cosign-sign.py"

    /// Runs the signing script; returns its output.
    @discardableResult
    static func cosign(_ arguments: [String]) async throws -> String {
        try await runChecked(try requireTool("python3", package: "python3"), [script] + arguments)
    }

    static func state(
        _ upstream: UpstreamRegistry, generation: Int, keys: [String], required: Bool = true, tags: [String]
    ) -> String {
        stateYAML(generation: generation, upstream: upstream, artifacts: tags.map { "repository: apps/\($0)\ntag: v1" })
            + "\nverification:\n  required: \(required)\n  keys:\n"
            + keys.map { "    - |\n" + $0.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n") }.joined(
                separator: "\n")
            + "\n"
    }

    @Test func onlyArtifactsSignedByATrustedKeyForTheirDigestAreAdmitted() async throws {
        try await withUpstream { work, images, upstream in
            let creds = "\(UpstreamRegistry.username):\(UpstreamRegistry.password)"
            for (kind, name) in [("ecdsa", "trusted"), ("ed25519", "bundler"), ("rsa", "stranger")] {
                try await Self.cosign(["keygen", kind, work.appending(name)])
            }
            let key = { (name: String) in try String(contentsOfFile: work.appending("\(name).pub"), encoding: .utf8) }
            // signed: a .sig tag by the trusted key; bundled: a bundle referrer by the other
            // trusted key; unsigned; stranger: signed by a key not in the policy; misnamed: the
            // trusted key's signature names another digest.
            let cases = [
                ("signed", "first"), ("bundled", "second"), ("unsigned", "other"), ("stranger", "big"),
                ("misnamed", "multi"),
            ]
            for (name, image) in cases {
                try await upstream.push(
                    layout: images.layout, name: image, to: "apps/\(name):v1", all: image == "multi")
            }
            try await Self.cosign([
                "push-simple", upstream.url, "apps/signed", images.first.digest.string, work.appending("trusted.key"),
                creds,
            ])
            try await Self.cosign([
                "push-bundle", upstream.url, "apps/bundled", images.second.digest.string, String(images.second.size),
                work.appending("bundler.key"), creds,
            ])
            try await Self.cosign([
                "push-simple", upstream.url, "apps/stranger", images.big.digest.string, work.appending("stranger.key"),
                creds,
            ])
            try await Self.cosign([
                "push-simple", upstream.url, "apps/misnamed", images.index.digest.string, work.appending("trusted.key"),
                creds, images.first.digest.string,
            ])

            let names = cases.map(\.0)
            let agent = try await SatelliteAgent(
                state: Self.state(upstream, generation: 1, keys: [try key("trusted"), try key("bundler")], tags: names))
            defer { agent.terminate() }
            let status = try await agent.waitForStatus("the first sync under the policy") {
                $0.lastSync?.generation == 1
            }
            let outcome = Dictionary(
                uniqueKeysWithValues: (status.lastSync?.artifacts ?? []).map { ($0.reference, $0) })
            #expect(
                outcome["apps/signed:v1"]?.outcome == "synced" && outcome["apps/bundled:v1"]?.outcome == "synced",
                "\(status)")
            #expect(
                outcome["apps/unsigned:v1"]?.reason == "signature"
                    && outcome["apps/unsigned:v1"]?.error?.contains("not signed") == true, "\(status)")
            #expect(outcome["apps/stranger:v1"]?.error?.contains("no trusted key verifies") == true, "\(status)")
            #expect(outcome["apps/misnamed:v1"]?.error?.contains("for another digest") == true, "\(status)")
            #expect(
                Set(status.inventory.map(\.repository)) == ["central/apps/bundled", "central/apps/signed"], "\(status)")

            // The signatures travel with the images: devices can verify again.
            let sigTag = images.first.digest.tagSchemaForm + ".sig"
            #expect(
                try await httpGet(
                    "\(agent.baseURL)/v2/central/apps/signed/manifests/\(sigTag)",
                    headers: ["Accept": "application/vnd.oci.image.manifest.v1+json"]
                ).status == 200)
            let referrers = try await httpGet(
                "\(agent.baseURL)/v2/central/apps/bundled/referrers/\(images.second.digest)")
            #expect(
                String(decoding: referrers.body, as: UTF8.self).contains(
                    "application/vnd.dev.sigstore.bundle.v0.3+json"))

            // An unsigned push over a signed tag: the tag stays where it was.
            try await upstream.push(layout: images.layout, name: "second", to: "apps/signed:v1")
            // The policy widens to the stranger's key: its image is admitted.
            try agent.writeState(
                Self.state(
                    upstream, generation: 2, keys: [try key("trusted"), try key("bundler"), try key("stranger")],
                    tags: names))
            let after = try await agent.waitForStatus("the sync under the wider policy") {
                $0.lastSync?.generation == 2
            }
            let next = Dictionary(uniqueKeysWithValues: (after.lastSync?.artifacts ?? []).map { ($0.reference, $0) })
            #expect(next["apps/stranger:v1"]?.outcome == "synced", "\(after)")
            #expect(
                next["apps/signed:v1"]?.outcome == "kept" && next["apps/signed:v1"]?.reason == "signature", "\(after)")
            #expect(
                after.digest(of: "central/apps/signed", tag: "v1") == images.first.digest.string,
                "the tag moved to an unsigned image")

            // Not required: the unsigned image is admitted; a signature for another digest still is not.
            try agent.writeState(
                Self.state(
                    upstream, generation: 3, keys: [try key("trusted")], required: false,
                    tags: ["unsigned", "misnamed"]))
            let lenient = try await agent.waitForStatus("the sync with signatures optional") {
                $0.lastSync?.generation == 3
            }
            let last = Dictionary(uniqueKeysWithValues: (lenient.lastSync?.artifacts ?? []).map { ($0.reference, $0) })
            #expect(
                last["apps/unsigned:v1"]?.outcome == "synced" && last["apps/misnamed:v1"]?.reason == "signature",
                "\(lenient)")
        }
    }
}
