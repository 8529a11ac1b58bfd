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
        let groundControl = try productPath("ground-control")
        let serve = ["serve", "--listen", "127.0.0.1:0", "--database", "sqlite:\(work.appending("fleet.sqlite"))"]
        for (arguments, complaint) in [
            (["--satellite-auth", "mtls"], "satellite-auth: mtls needs tls-cert"),
            (["--satellite-auth", "sometimes"], "satellite-auth: must be mtls, credential or both"),
            (["--reenrol-expired", "soon"], "reenrol-expired"),
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
    }
}
