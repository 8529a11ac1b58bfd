import FleetAPI
import Foundation
import SatelliteProtocol
import TestSupport
import Testing

/// The dashboard in real Chromium, driven by `scripts/testing/dashboard-browser.py` through
/// chromium-driver: roles, the live overview, a rollout paused from its page, an entry of the demand
/// list added to a group, revoking from a satellite's page, logging in through
/// an OIDC provider (oidc-provider-mock) whose group claim maps to a role, a phone-sized window, no
/// console errors. The screenshots it takes are kept in `.build/dashboard-screenshots`
/// (or `$DASHBOARD_SCREENSHOTS`).
@Suite struct DashboardBrowserTests {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "../../scripts/testing"
    ).standardized.path
    static let screenshots =
        ProcessInfo.processInfo.environment["DASHBOARD_SCREENSHOTS"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../.build/dashboard-screenshots"
        ).standardized.path

    @Test func eachRoleSeesWhatItMayTheOverviewFollowsHeartbeatsAnOperatorRevokesAndOIDCMapsARole() async throws {
        let python = try requireTool("python3", package: "python3")
        let chromium = try requireTool("chromium", package: "chromium")
        let chromedriver = try requireTool("chromedriver", package: "chromium-driver")
        for (module, package) in [("selenium", "selenium"), ("oidc_provider_mock", "oidc-provider-mock")] {
            guard try await run(python, ["-c", "import \(module)"]).status == 0 else {
                throw TestSupportError(
                    """
                    python \(package) is not installed: run scripts/test.sh, which installs it (pip install \
                    \(package))
                    """
                )
            }
        }
        let work = try TemporaryDirectory("dashboard-browser")
        defer { work.remove() }

        // The OIDC provider: amy is in the group mapped to operator; anyone else is in none.
        let providerPort = try freePort()
        let provider = try ChildProcess(
            python,
            [
                "-m", "oidc_provider_mock", "--port", String(providerPort),
                "--user-claims", #"{"sub": "amy", "preferred_username": "amy", "groups": ["gc-operators"]}"#,
            ],
            logDirectory: work.path)
        defer { Task { await provider.stop() } }
        let issuer = "http://127.0.0.1:\(providerPort)"
        try await poll("the OIDC provider to serve") {
            guard provider.isRunning else {
                throw TestSupportError("oidc-provider-mock exited: \(provider.errorOutput.suffix(2000))")
            }
            return (try? await httpGet(issuer + "/.well-known/openid-configuration").status) == 200
        }
        let clientSecret = work.appending("oidc-client-secret")
        #expect(
            FileManager.default.createFile(
                atPath: clientSecret, contents: Data("client-secret-for-the-test".utf8),
                attributes: [.posixPermissions: 0o600]))
        let port = try freePort()
        let server = try await GroundControlProcess(
            directory: work, adminToken: "admin", port: port,
            extraArguments: [
                "--oidc-issuer", issuer, "--oidc-client-id", "ground-control", "--oidc-client-secret-file",
                clientSecret,
                "--oidc-redirect-url", "http://127.0.0.1:\(port)/login/oidc/callback", "--oidc-role",
                "gc-operators=operator",
                "--oidc-name", "the test provider", "--event-allow-host", "127.0.0.1",
            ])
        defer { Task { await server.stop() } }
        let admin = ["Authorization": "Bearer admin", "Content-Type": "application/json"]
        func put(_ path: String, _ json: String) async throws {
            let reply = try await httpSend("PUT", server.baseURL + path, headers: admin, body: Data(json.utf8))
            #expect((200..<300).contains(reply.status), "\(path): \(String(decoding: reply.body, as: UTF8.self))")
        }

        var users: [String: [String]] = [:]
        for (role, name) in [("viewer", "vera"), ("operator", "olga"), ("admin", "ada")] {
            let password = "\(name)'s long password"
            try await put("/api/v1/users/\(name)", #"{"role":"\#(role)","password":"\#(password)"}"#)
            users[role] = [name, password]
        }
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        try await put("/api/v1/registries/central", #"{"url":"http://127.0.0.1:5000"}"#)
        // With a rollout policy: the change below starts a rollout for the rollouts page, whose
        // first wave is ship-02 (the canary), which heartbeats but never applies it.
        let policy = "waves=1,100%;soak=10m;order=canary=true"
        func group(_ digest: String) -> String {
            let artifacts = #"[{"repository":"apps/web","digest":"\#(digest)"}]"#
            return #"{"registry":"central","artifacts":\#(artifacts),"rollout":"\#(policy)"}"#
        }
        try await put("/api/v1/groups/edge", group(digest))
        var token = ""
        for name in ["ship-01", "ship-02"] {
            let labels = #"{"site":"north-sea","canary":"\#(name == "ship-02")"}"#
            let created = try await httpSend(
                "POST", server.baseURL + "/api/v1/satellites", headers: admin,
                body: Data(#"{"name":"\#(name)","groups":["edge"],"labels":\#(labels)}"#.utf8))
            token = try APIJSON.decoder().decode(RegistrationToken.self, from: created.body).token
        }
        try await put("/api/v1/groups/edge", group("sha256:" + String(repeating: "cd", count: 32)))
        // ship-02 registers but stays silent until the browser watches for its heartbeat.
        let registered = try await httpSend(
            "POST", server.baseURL + "/api/v1/register", headers: ["Content-Type": "application/json"],
            body: try APIJSON.encoder().encode(["token": token]))
        let credential = try APIJSON.decoder().decode(RegistrationResponse.self, from: registered.body).credential

        try FileManager.default.createDirectory(atPath: Self.screenshots, withIntermediateDirectories: true)
        let setup: [String: Any] = [
            "url": server.baseURL, "users": users, "satellite": "ship-02", "credential": credential,
            "screenshots": Self.screenshots, "chromium": chromium, "chromedriver": chromedriver,
            "oidc": ["member": "amy", "stranger": "olaf"],
        ]
        let setupFile = work.appending("setup.json")
        #expect(
            FileManager.default.createFile(
                atPath: setupFile, contents: try JSONSerialization.data(withJSONObject: setup),
                attributes: [.posixPermissions: 0o600]))

        let result = try await run(python, ["\(Self.scripts)/dashboard-browser.py", setupFile], timeout: .seconds(240))
        print("DashboardBrowserTests:\n\(result.output)")
        #expect(result.status == 0, "\(result.output)\n\(result.error.suffix(3000))")
        for shot in [
            "overview.png", "satellite.png", "overview-phone.png", "satellite-phone.png", "rollouts.png", "demand.png",
        ] {
            #expect(FileManager.default.fileExists(atPath: "\(Self.screenshots)/\(shot)"), "\(shot) was not saved")
        }
    }
}
