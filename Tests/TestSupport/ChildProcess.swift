import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A program the tests start, with stdout and stderr captured to files that can be read any time.
///
/// Spawned with `posix_spawn`, an empty signal mask and default signal handlers: Foundation's
/// `Process` passes on the spawning thread's mask, and test threads block most signals, which
/// left children deaf to SIGTERM.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    public let outputPath: String
    public let errorPath: String
    public let name: String
    private let exit = NSLock()
    private var exitStatus: Int32?

    /// Starts `executable` with `arguments`; output goes to files in `logDirectory`.
    public init(
        _ executable: String, _ arguments: [String], logDirectory: String,
        environment: [String: String]? = nil
    ) throws {
        name = URL(fileURLWithPath: executable).lastPathComponent
        let stamp = UUID().uuidString.prefix(6)
        outputPath = "\(logDirectory)/\(name)-\(stamp).out"
        errorPath = "\(logDirectory)/\(name)-\(stamp).err"

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let environmentEntries = (ProcessInfo.processInfo.environment.merging(environment ?? [:]) { _, new in new })
            .map { "\($0.key)=\($0.value)" }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environmentEntries.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw TestSupportError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        pid = child
    }

    public var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    public var errorOutput: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    /// Whether the process is still running (reaping it once it has exited).
    public var isRunning: Bool {
        exit.lock()
        defer { exit.unlock() }
        if exitStatus != nil { return false }
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        guard reaped == pid else { return reaped == 0 }
        // Exit code, or 128 + signal number as shells report it.
        let signal = status & 0x7f
        exitStatus = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        return false
    }

    /// The exit status once the process has ended.
    public var terminationStatus: Int32? {
        _ = isRunning
        exit.lock()
        defer { exit.unlock() }
        return exitStatus
    }

    /// Sends a signal (SIGKILL for a crash, SIGTERM for a graceful stop).
    public func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits for exit up to `timeout`; returns the exit status, or nil if still running.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32? {
        try? await poll("\(name) to exit", timeout: timeout) { !isRunning }
        return terminationStatus
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
    defer {
        try? FileManager.default.removeItem(atPath: child.outputPath)
        try? FileManager.default.removeItem(atPath: child.errorPath)
    }
    guard let status = try await child.waitForExit(timeout: timeout) else {
        child.signal(SIGKILL)
        throw TestSupportError("\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout)")
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
        throw TestSupportError(
            """
            \(executable) \(arguments.joined(separator: " ")) exited \
            \(result.status):\n\(result.output)\n\(result.error)
            """
        )
    }
    return result.output
}
