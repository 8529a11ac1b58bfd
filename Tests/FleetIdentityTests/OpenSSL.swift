import Foundation
import TestSupport

/// openssl, the peer that checks what the authority makes and makes what a stranger would send.
struct OpenSSL {
    let path: String
    let directory: TemporaryDirectory

    init(_ directory: TemporaryDirectory) throws {
        path = try requireTool("openssl", package: "openssl")
        self.directory = directory
    }

    /// Runs openssl in the directory; returns its output, or throws with its error.
    @discardableResult
    func callAsFunction(_ arguments: String...) async throws -> String {
        try await runChecked(
            "/bin/sh", ["-c", "cd '\(directory.path)' && '\(path)' \(arguments.joined(separator: " "))"])
    }

    /// Whether openssl accepts, with its output and error.
    func succeeds(_ arguments: String...) async throws -> (Bool, String) {
        let result = try await run(
            "/bin/sh", ["-c", "cd '\(directory.path)' && '\(path)' \(arguments.joined(separator: " ")) 2>&1"])
        return (result.status == 0, result.output)
    }

    func write(_ text: String, to name: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: directory.appending(name)))
    }

    func read(_ name: String) throws -> String {
        try String(contentsOfFile: directory.appending(name), encoding: .utf8)
    }
}
