import Foundation
import TestSupport
import Testing

/// Settings come from flag, then `SATELLITE_*` environment, then the `--config` file, then defaults.
@Suite struct SettingsTests {
    func servingLine(
        arguments: [String], environment: [String: String] = [:], in directory: TemporaryDirectory
    ) async throws -> String {
        let child = try ChildProcess(
            try productPath("satellite"), ["serve", "--listen", "127.0.0.1:0"] + arguments,
            logDirectory: directory.path, environment: environment)
        defer { child.signal(SIGKILL) }
        try await poll("satellite to start") {
            guard child.isRunning else { throw TestSupportError("satellite exited: \(child.errorOutput)") }
            return child.output.contains("satellite: serving")
        }
        return child.output
    }

    @Test func flagBeatsEnvironmentBeatsFile() async throws {
        let directory = try TemporaryDirectory("settings")
        defer { directory.remove() }
        let config = directory.appending("satellite.yaml")
        try Data("data-dir: \(directory.appending("from-file"))\nlog-level: warning\n".utf8).write(
            to: URL(fileURLWithPath: config))

        let fromFile = try await servingLine(arguments: ["--config", config], in: directory)
        #expect(fromFile.contains("from \(directory.appending("from-file"))"))

        let fromEnvironment = try await servingLine(
            arguments: ["--config", config], environment: ["SATELLITE_DATA_DIR": directory.appending("from-env")],
            in: directory)
        #expect(fromEnvironment.contains("from \(directory.appending("from-env"))"))

        let fromFlag = try await servingLine(
            arguments: ["--config", config, "--data-dir", directory.appending("from-flag")],
            environment: ["SATELLITE_DATA_DIR": directory.appending("from-env")], in: directory)
        #expect(fromFlag.contains("from \(directory.appending("from-flag"))"))
    }

    @Test(arguments: [
        (["--gc-interval", "soon"], "gc-interval"),
        (["--listen", "nowhere"], "listen"),
        (["--log-level", "loud"], "log-level"),
        (["--tls-cert", "/nonexistent.pem"], "tls-key"),
        (["--config", "/nonexistent.yaml"], "--config"),
    ])
    func badSettingsAreNamed(arguments: [String], field: String) async throws {
        let directory = try TemporaryDirectory("settings")
        defer { directory.remove() }
        let result = try await run(
            try productPath("satellite"),
            ["serve", "--data-dir", directory.appending("data"), "--listen", "127.0.0.1:0"] + arguments,
            timeout: .seconds(30))
        #expect(result.status != 0)
        #expect(result.error.contains(field), "stderr: \(result.error)")
    }
}

extension SettingsTests {
    /// A port another process holds: `satellite run` exits at once naming the bind error, rather
    /// than staying up without a server.
    @Test func anAgentWhosePortIsTakenExitsWithTheReason() async throws {
        let directory = try TemporaryDirectory("port-taken")
        defer { directory.remove() }
        let holder = try await SatelliteProcess()
        defer { Task { await holder.cleanUp() } }
        let state = directory.appending("state.yaml")
        try Data("schemaVersion: 1\ngeneration: 1\nupstreams: []\nartifacts: []\n".utf8).write(
            to: URL(fileURLWithPath: state))
        let result = try await run(
            try productPath("satellite"),
            [
                "run", "--data-dir", directory.appending("data"), "--state-file", state, "--listen", holder.host,
            ], timeout: .seconds(20))
        #expect(
            result.status != 0 && result.error.contains("Address already in use"),
            "\(result.status) \(result.error.suffix(2000))")
    }
}
