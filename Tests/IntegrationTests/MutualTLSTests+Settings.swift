import Foundation
import TestSupport
import Testing

extension MutualTLSTests {
    /// The new settings, given wrong: each program stops at once naming the setting, and writes nothing.
    @Test func wrongIdentitySettingsAreNamed() async throws {
        let work = try TemporaryDirectory("mtls-settings")
        defer { work.remove() }
        let empty = work.appending("empty.pem")
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        let tls = try MutualTLS(work: work)
        try await tls.makeServerCertificate()
        let spiffe = ["--spiffe-id-pattern", "spiffe://example.org/edge/{name}", "--spiffe-trust-bundle"]
        let groundControl = try productPath("ground-control")
        let serve = ["serve", "--listen", "127.0.0.1:0", "--database", "sqlite:\(work.appending("fleet.sqlite"))"]
        for (arguments, complaint) in [
            (["--satellite-auth", "mtls"], "satellite-auth: mtls needs tls-cert"),
            (["--satellite-auth", "sometimes"], "satellite-auth: must be mtls, credential or both"),
            (["--reenrol-expired", "soon"], "reenrol-expired"),
            (["--spiffe-trust-bundle", empty], "spiffe-trust-bundle and spiffe-id-pattern go together"),
            (["--spiffe-id-pattern", "spiffe://example.org/edge"], "spiffe-id-pattern: 'spiffe://example.org/edge'"),
            (spiffe + [empty], "spiffe-trust-bundle: satellites' certificates need tls-cert"),
            (tls.groundControlArguments(auth: "credential") + spiffe + [tls.serverCertificate], "satellite-auth mtls"),
            (tls.groundControlArguments(auth: "both") + spiffe + [empty], "trust bundle: holds no certificate"),
            (tls.groundControlArguments(auth: "both") + spiffe + [work.appending("none.pem")], "cannot read"),
        ] {
            let refused = try await run(
                groundControl, serve + arguments, environment: ["GROUND_CONTROL_ADMIN_TOKEN": "admin"],
                timeout: .seconds(30))
            #expect(refused.status != 0 && refused.error.contains(complaint), "\(arguments): \(refused.error)")
        }
        #expect(!FileManager.default.fileExists(atPath: work.appending("fleet.sqlite")), "nothing was made")

        let satctl = try productPath("satctl")
        let listed = try await run(
            satctl, ["satellites", "list", "--url", "https://127.0.0.1:9", "--token", "t", "--ca", empty])
        #expect(listed.status != 0 && listed.error.contains("--ca: the CA file \(empty) cannot be read"))

        let satellite = try await run(
            try productPath("satellite"),
            [
                "run", "--data-dir", work.appending("data"), "--listen", "127.0.0.1:0", "--ground-control",
                "https://127.0.0.1:9", "--ground-control-ca", work.appending("missing.pem"),
            ], timeout: .seconds(30))
        #expect(
            satellite.status != 0 && satellite.error.contains("ground-control-ca: cannot read"), "\(satellite.error)")

        let svid = ["--svid-cert", empty, "--svid-key", empty, "--svid-bundle", empty]
        for (arguments, complaint) in [
            (
                ["--ground-control", "https://127.0.0.1:9", "--svid-cert", empty],
                "svid-key and svid-bundle go together"
            ),
            (["--ground-control", "http://127.0.0.1:9"] + svid, "ground-control must be an https:// URL"),
            (["--ground-control", "https://127.0.0.1:9", "--tls-from-ground-control"], "needs --advertise https://"),
            (
                ["--ground-control", "https://127.0.0.1:9", "--tls-from-ground-control", "--advertise", "http://a:1"],
                "needs --advertise https://"
            ),
            (
                [
                    "--ground-control", "https://127.0.0.1:9", "--tls-from-ground-control", "--advertise",
                    "https://a:1",
                    "--tls-cert", empty, "--tls-key", empty,
                ], "replaces tls-cert and tls-key"
            ),
            (["--state-file", empty, "--tls-from-ground-control"], "needs --ground-control"),
        ] {
            let refused = try await run(
                try productPath("satellite"),
                ["run", "--data-dir", work.appending("data"), "--listen", "127.0.0.1:0"] + arguments,
                timeout: .seconds(30))
            #expect(refused.status != 0 && refused.error.contains(complaint), "\(arguments): \(refused.error)")
        }
        #expect(!FileManager.default.fileExists(atPath: work.appending("data/identity.pem")), "no key was made")
    }
}
