import Foundation

/// A program the tests start, with stdout and stderr captured to files that can be read any time.
public final class ChildProcess: @unchecked Sendable {
    public let process = Process()
    public let outputPath: String
    public let errorPath: String
    public let name: String

    /// Starts `executable` with `arguments`; output goes to files in `logDirectory`.
    public init(
        _ executable: String, _ arguments: [String], logDirectory: String,
        environment: [String: String]? = nil, currentDirectory: String? = nil
    ) throws {
        name = URL(fileURLWithPath: executable).lastPathComponent
        let stamp = UUID().uuidString.prefix(6)
        outputPath = "\(logDirectory)/\(name)-\(stamp).out"
        errorPath = "\(logDirectory)/\(name)-\(stamp).err"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        if let currentDirectory {
            process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory)
        }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    public var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    public var errorOutput: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }
    public var isRunning: Bool { process.isRunning }
    public var pid: Int32 { process.processIdentifier }

    /// Sends a signal (SIGKILL for a crash, SIGTERM for a graceful stop).
    public func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Waits for exit up to `timeout`; returns the exit status, or nil if still running.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32? {
        try? await poll("\(name) to exit", timeout: timeout) { !process.isRunning }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Stops the process: SIGTERM, then SIGKILL if it lingers.
    public func stop() async {
        signal(SIGTERM)
        if (try? await waitForExit(timeout: .seconds(10))) ?? nil == nil {
            signal(SIGKILL)
            _ = try? await waitForExit(timeout: .seconds(5))
        }
    }
}

/// Runs a command to completion and returns its status and output; throws on timeout.
@discardableResult
public func run(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
    timeout: Duration = .seconds(300), logDirectory: String = NSTemporaryDirectory()
) async throws -> (status: Int32, output: String, error: String) {
    let child = try ChildProcess(executable, arguments, logDirectory: logDirectory, environment: environment)
    guard let status = try await child.waitForExit(timeout: timeout) else {
        child.signal(SIGKILL)
        throw TestSupportError("\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout)")
    }
    defer {
        try? FileManager.default.removeItem(atPath: child.outputPath)
        try? FileManager.default.removeItem(atPath: child.errorPath)
    }
    return (status, child.output, child.errorOutput)
}

/// Runs a command and throws with its output unless it exits 0.
@discardableResult
public func runChecked(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Duration = .seconds(300)
) async throws -> String {
    let result = try await run(executable, arguments, environment: environment, timeout: timeout)
    guard result.status == 0 else {
        throw TestSupportError("\(executable) \(arguments.joined(separator: " ")) exited \(result.status):\n\(result.output)\n\(result.error)")
    }
    return result.output
}
