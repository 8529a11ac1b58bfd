import Foundation
import TestSupport

/// `satellite run` with a state of nothing and `arguments`, as settings checked at start see it:
/// its exit status and error output, and whether the data directory gained `file`.
func satelliteRunAtStart(
    _ arguments: [String], leaves file: String = "proxy-ca.pem"
) async throws -> (status: Int32, error: String, made: Bool) {
    let work = try TemporaryDirectory("run-settings")
    defer { work.remove() }
    try Data("schemaVersion: 1\ngeneration: 1\nupstreams: []\nartifacts: []\n".utf8).write(
        to: URL(fileURLWithPath: work.appending("state.yaml")))
    let result = try await run(
        try productPath("satellite"),
        ["run", "--data-dir", work.appending("data"), "--state-file", work.appending("state.yaml")] + arguments)
    return (result.status, result.error, FileManager.default.fileExists(atPath: work.appending("data/" + file)))
}
