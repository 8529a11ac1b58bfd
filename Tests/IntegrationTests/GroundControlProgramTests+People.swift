import Foundation
import SatelliteProtocol
import TestSupport
import Testing

extension GroundControlProgramTests {
    /// The first admin is made with `ground-control users add`; people log in with satctl, which
    /// keeps the token owner-only and uses it for the next commands, within their role.
    @Test func peopleLogInWithSatctlAndWorkWithinTheirRole() async throws {
        let work = try TemporaryDirectory("people")
        defer { work.remove() }
        let groundControl = try productPath("ground-control")
        let satctlPath = try productPath("satctl")
        try Data("first admin's password\n".utf8).write(to: URL(fileURLWithPath: work.appending("ada.password")))
        let added = try await runChecked(
            groundControl,
            [
                "users", "add", "ada", "--role", "admin", "--password-file", work.appending("ada.password"),
                "--database", "sqlite:\(work.appending("fleet.sqlite"))", "--secret-key-file",
                work.appending("secret.key"),
            ])
        #expect(added.contains("added ada (admin)"), "\(added)")
        let server = try await GroundControlProcess(directory: work, adminToken: "bootstrap")
        defer { Task { await server.stop() } }

        let environment = [
            "SATCTL_URL": server.baseURL, "SATCTL_CREDENTIALS": work.appending("satctl/credentials.json"),
        ]
        func satctlAs(_ arguments: [String]) async throws -> (status: Int32, output: String, error: String) {
            try await run(satctlPath, arguments, environment: environment)
        }
        let login = try await satctlAs(["login", "--user", "ada", "--password-file", work.appending("ada.password")])
        #expect(login.status == 0 && login.output.contains("logged in as ada"), "\(login)")
        let mode =
            try FileManager.default.attributesOfItem(atPath: work.appending("satctl/credentials.json"))[
                .posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try await satctlAs(["whoami"]).output.contains("ada"))

        try Data("viewer's long password".utf8).write(to: URL(fileURLWithPath: work.appending("vera.password")))
        #expect(
            try await satctlAs([
                "users", "put", "vera", "--role", "viewer", "--password-file", work.appending("vera.password"),
            ]).status == 0)
        let listed = try await satctlAs(["users", "list"])
        #expect(listed.output.contains("vera") && listed.output.contains("viewer"), "\(listed)")

        // As the viewer: reading works, writing is refused with the reason.
        #expect(
            try await satctlAs(["login", "--user", "vera", "--password-file", work.appending("vera.password")]).status
                == 0)
        #expect(try await satctlAs(["groups", "list"]).status == 0)
        let refused = try await satctlAs(["registries", "put", "central", "--registry-url", "http://127.0.0.1:5000"])
        #expect(refused.status != 0 && refused.error.contains("viewer"), "\(refused)")
        let audit = try await satctl(server, token: "bootstrap", ["audit", "--output", "json"])
        #expect(audit.contains("user:ada") && !audit.contains("first admin's password"), "\(audit)")
    }
}
