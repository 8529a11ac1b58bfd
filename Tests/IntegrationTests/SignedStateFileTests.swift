import Foundation
import TestSupport
import Testing

/// `satellite run --state-file F --state-public-key K`: a state file is applied only with a
/// signature (`F.sig`, from `satctl state sign`) that verifies with the operator's key.
@Suite struct SignedStateFileTests {
    @Test func onlyAStateSignedWithTheOperatorsKeyIsApplied() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "apps/app:v1")
            try await upstream.push(layout: images.layout, name: "other", to: "apps/other:v1")
            let satctl = try productPath("satctl")
            let keys = work.appending("operator")
            _ = try await runChecked(satctl, ["state", "keygen", "--out", keys])
            #expect(try FileManager.default.attributesOfItem(atPath: keys + ".key")[.posixPermissions] as? Int == 0o600)
            // A second keygen to the same place never replaces a key.
            let again = try await run(satctl, ["state", "keygen", "--out", keys])
            #expect(again.status != 0 && again.error.contains("cannot create"), "\(again)")

            let agent = try await SatelliteAgent(
                state: stateYAML(generation: 1, upstream: upstream, artifacts: ["repository: apps/app\ntag: v1"]),
                arguments: ["--state-public-key", keys + ".pub"])
            defer { agent.terminate() }
            // Unsigned: refused, nothing synced.
            try await agent.waitForStatus("the unsigned state to be refused") {
                $0.stateError?.contains("no signature") == true
            }
            #expect(try await agent.status().lastSync == nil)

            _ = try await runChecked(satctl, ["state", "sign", "--key", keys + ".key", agent.stateFile])
            try await agent.waitForStatus("the signed state to be applied") {
                $0.stateError == nil && $0.digest(of: "central/apps/app", tag: "v1") == images.first.digest.string
            }

            // Changed without a new signature: refused, and the last good state stays applied.
            try agent.writeState(
                stateYAML(generation: 2, upstream: upstream, artifacts: ["repository: apps/other\ntag: v1"]))
            let refused = try await agent.waitForStatus("the changed state to be refused") {
                $0.stateError?.contains("does not verify") == true
            }
            #expect(
                refused.digest(of: "central/apps/app", tag: "v1") == images.first.digest.string
                    && refused.digest(of: "central/apps/other", tag: "v1") == nil)
            #expect(
                try await httpGet(
                    "\(agent.baseURL)/v2/apps/app/manifests/v1", headers: ["Accept": images.first.mediaType]
                ).status == 200)

            // Signed by another key: still refused.
            let stranger = work.appending("stranger")
            _ = try await runChecked(satctl, ["state", "keygen", "--out", stranger])
            _ = try await runChecked(satctl, ["state", "sign", "--key", stranger + ".key", agent.stateFile])
            try await poll("the stranger's signature to be looked at") {
                agent.child.errorOutput.components(separatedBy: "does not verify").count > 2
            }
            #expect(try await agent.status().digest(of: "central/apps/other", tag: "v1") == nil)

            // Signed with the operator's key: applied.
            _ = try await runChecked(satctl, ["state", "sign", "--key", keys + ".key", agent.stateFile])
            try await agent.waitForStatus("the re-signed state to be applied") {
                $0.stateError == nil && $0.digest(of: "central/apps/other", tag: "v1") == images.other.digest.string
                    && $0.digest(of: "central/apps/app", tag: "v1") == nil
            }
        }
    }
}

extension SignedStateFileTests {
    /// A key that cannot be read or is not a key, or one given where it does not apply, is refused
    /// naming the setting, and signing with a bad key writes no signature.
    @Test func badKeysAreRefusedByNameAndNothingIsWritten() async throws {
        let work = try TemporaryDirectory("state-keys")
        defer { work.remove() }
        let state = work.appending("state.yaml")
        try Data("schemaVersion: 1\ngeneration: 1\nupstreams: []\nartifacts: []\n".utf8).write(
            to: URL(fileURLWithPath: state))
        let garbage = work.appending("garbage.key")
        try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: garbage))
        let satellite = try productPath("satellite")
        let common = ["run", "--data-dir", work.appending("data"), "--listen", "127.0.0.1:0"]
        for (arguments, field) in [
            (["--state-file", state, "--state-public-key", work.appending("missing.pub")], "state-public-key"),
            (["--state-file", state, "--state-public-key", garbage], "state-public-key"),
            (["--ground-control", "http://127.0.0.1:9", "--state-public-key", garbage], "state-public-key"),
        ] {
            let result = try await run(satellite, common + arguments, timeout: .seconds(30))
            #expect(result.status != 0 && result.error.contains(field), "\(arguments): \(result.error)")
        }
        let satctl = try productPath("satctl")
        for key in [work.appending("missing.key"), garbage] {
            let result = try await run(satctl, ["state", "sign", "--key", key, state])
            #expect(result.status != 0 && result.error.contains("--key"), "\(key): \(result.error)")
        }
        #expect(!FileManager.default.fileExists(atPath: state + ".sig"))
    }
}
