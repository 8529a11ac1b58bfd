import FleetAPI
import Foundation
import SatelliteProtocol
import TestSupport

/// A `ground-control serve` the test started on a free port.
final class GroundControlProcess: @unchecked Sendable {
    let child: ChildProcess
    let baseURL: String
    /// What satctl trusts for this server's HTTPS (`--ca`), when its certificate is the test's own.
    let caFile: String?

    /// Starts it on `database` (default: SQLite in `directory`) and waits until it serves.
    /// `port`: a fixed one, to start it again where its satellites look for it (default: any free).
    /// `secretKeyFile`: the key its secrets are sealed with (default: `secret.key` in `directory`,
    /// shared by processes started on one directory).
    init(
        directory: TemporaryDirectory, database: String? = nil, adminToken: String? = nil, port: Int = 0,
        secretKeyFile: String? = nil, caFile: String? = nil, extraArguments: [String] = []
    ) async throws {
        self.caFile = caFile
        let executable = try productPath("ground-control")
        child = try ChildProcess(
            executable,
            [
                "serve", "--listen", "127.0.0.1:\(port)", "--database",
                database ?? "sqlite:\(directory.appending("fleet.sqlite"))",
                "--secret-key-file", secretKeyFile ?? directory.appending("secret.key"), "--log-level", "warning",
            ] + extraArguments,
            logDirectory: directory.path,
            environment: adminToken.map { ["GROUND_CONTROL_ADMIN_TOKEN": $0] } ?? [:])
        let child = self.child
        try await poll("ground-control to start listening") {
            guard child.isRunning else { throw TestSupportError("ground-control exited early: \(child.errorOutput)") }
            return child.output.contains("ground-control: serving ")
        }
        // "ground-control: serving http://127.0.0.1:PORT"
        let line = try require(
            child.output.split(separator: "\n").first { $0.hasPrefix("ground-control: serving ") }, "no serving line")
        baseURL = String(line.split(separator: " ")[2])
    }

    /// The admin token printed on first start, if this process made one.
    var printedAdminToken: String? {
        child.output.split(separator: "\n").first { $0.contains("admin token") }.flatMap {
            $0.split(separator: " ").last.map(String.init)
        }
    }

    func stop() async {
        await child.stop()
    }

    /// Writes Ground Control's state key (`GET /api/v1/public-key`) to `path`, as
    /// `--state-public-key` reads it; returns `path`.
    func savePublicKey(to path: String) async throws -> String {
        let reply = try JSONDecoder().decode(
            [String: String].self, from: try await httpGet("\(baseURL)/api/v1/public-key").body)
        try Data(try require(reply["publicKey"], "no publicKey in the reply").utf8).write(
            to: URL(fileURLWithPath: path))
        return path
    }
}

extension GroundControlProcess {
    /// Two processes on one PostgreSQL database, started at once: the migration runs once, under
    /// an advisory lock.
    static func pair(
        directory: TemporaryDirectory, database: String, adminToken: String
    ) async throws -> (GroundControlProcess, GroundControlProcess) {
        async let first = GroundControlProcess(directory: directory, database: database, adminToken: adminToken)
        async let second = GroundControlProcess(directory: directory, database: database, adminToken: adminToken)
        return try await (first, second)
    }
}

/// Runs satctl against `server` and returns its standard output; throws with its message on failure.
@discardableResult
func satctl(_ server: GroundControlProcess, token: String, _ arguments: [String]) async throws -> String {
    try await runChecked(
        try productPath("satctl"),
        arguments + ["--url", server.baseURL, "--token", token] + (server.caFile.map { ["--ca", $0] } ?? []))
}

/// With satctl: registry "central" (the upstream, its password in a file), group "edge" of
/// `artifacts`, and satellite "edge-01" in it. Returns the satellite's registration token.
/// `satelliteOptions`: more `satctl satellites create` flags (settings, labels).
func defineFleet(
    _ server: GroundControlProcess, token: String = "admin", upstream: UpstreamRegistry, work: TemporaryDirectory,
    artifacts: [String],
    satelliteOptions: [String] = []
) async throws -> String {
    try await defineGroup(server, token: token, upstream: upstream, work: work, artifacts: artifacts)
    return try await createSatellite(server, token: token, "edge-01", options: ["--group", "edge"] + satelliteOptions)
}

/// Registry "central" (the upstream, its password in a file) and group "edge" of `artifacts`.
func defineGroup(
    _ server: GroundControlProcess, token: String = "admin", upstream: UpstreamRegistry, work: TemporaryDirectory,
    artifacts: [String]
) async throws {
    try Data(UpstreamRegistry.password.utf8).write(to: URL(fileURLWithPath: work.appending("password")))
    try await satctl(
        server, token: token,
        [
            "registries", "put", "central", "--registry-url", upstream.url,
            "--username", UpstreamRegistry.username, "--password-file", work.appending("password"),
        ])
    try await satctl(
        server, token: token,
        ["groups", "put", "edge", "--registry", "central"] + artifacts.flatMap { ["--artifact", $0] })
}

/// Satellite `name`, created with more `satctl satellites create` flags; its registration token.
func createSatellite(
    _ server: GroundControlProcess, token: String = "admin", _ name: String, options: [String] = []
) async throws -> String {
    let created = try await satctl(server, token: token, ["satellites", "create", name, "--output", "json"] + options)
    return try APIJSON.decoder().decode(RegistrationToken.self, from: Data(created.utf8)).token
}
