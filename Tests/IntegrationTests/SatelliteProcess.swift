import Foundation
import TestSupport

/// A `satellite serve` the test started on a free port with a temporary data directory.
final class SatelliteProcess: @unchecked Sendable {
    let child: ChildProcess
    let directory: TemporaryDirectory
    let port: Int
    let scheme: String

    var host: String { "127.0.0.1:\(port)" }
    var baseURL: String { "\(scheme)://\(host)" }
    var dataDirectory: String { directory.appending("data") }

    /// Starts the registry and waits until it reports where it listens.
    init(extraArguments: [String] = [], directory existing: TemporaryDirectory? = nil) async throws {
        directory = try existing ?? TemporaryDirectory("satellite")
        let executable = try productPath("satellite")
        child = try ChildProcess(
            executable,
            ["serve", "--data-dir", directory.appending("data"), "--listen", "127.0.0.1:0", "--log-level", "warning"]
                + extraArguments,
            logDirectory: directory.path)
        let child = self.child
        try await poll("satellite to start listening") {
            guard child.isRunning else {
                throw TestSupportError("satellite exited early: \(child.errorOutput)")
            }
            return child.output.contains("satellite: serving ")
        }
        // "satellite: serving http://127.0.0.1:PORT from DIR"
        let line = try require(
            child.output.split(separator: "\n").first { $0.hasPrefix("satellite: serving ") }, "no serving line")
        let url = String(line.split(separator: " ")[2])
        scheme = url.hasPrefix("https") ? "https" : "http"
        guard let parsed = url.split(separator: ":").last.flatMap({ Int($0) }) else {
            throw TestSupportError("cannot read the port from '\(line)'")
        }
        port = parsed
    }

    /// Stops with SIGTERM and returns the exit status.
    func stop() async throws -> Int32? {
        child.signal(SIGTERM)
        return try await child.waitForExit(timeout: .seconds(20))
    }

    func cleanUp() async {
        await child.stop()
        directory.remove()
    }
}

/// `#require` for code outside a test body.
func require<T>(_ value: T?, _ message: String = "missing value") throws -> T {
    guard let value else { throw TestSupportError(message) }
    return value
}
