import Foundation
import Synchronization

/// Where `swift build` put this package's executables, beside the test bundle.
public let builtProductsDirectory: URL = {
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var directory = executable.deletingLastPathComponent()
    // The test runner may sit inside a bundle directory; walk up to the build products.
    while directory.path != "/"
        && !FileManager.default.fileExists(atPath: directory.appendingPathComponent("satellite").path)
    {
        directory = directory.deletingLastPathComponent()
    }
    return directory
}()

/// Where the programs under test are: `SATELLITE_PRODUCTS` when set (CI points it at the release
/// programs the packages ship), else beside the test bundle.
public let productsDirectory: URL = {
    if let override = ProcessInfo.processInfo.environment["SATELLITE_PRODUCTS"], !override.isEmpty {
        return URL(fileURLWithPath: override)
    }
    return builtProductsDirectory
}()

/// The path of one of this package's executables; fails with the build step when missing. Test
/// helpers, which `SATELLITE_PRODUCTS` does not hold, come from beside the test bundle.
public func productPath(_ name: String) throws -> String {
    for directory in [productsDirectory, builtProductsDirectory] {
        let path = directory.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    let build =
        ProcessInfo.processInfo.environment["SATELLITE_PRODUCTS"] == nil
        ? "run `swift build --build-tests` first" : "SATELLITE_PRODUCTS names that directory; build the product there"
    throw TestSupportError("\(name) is not built in \(productsDirectory.path): \(build)")
}

/// A failure of the test harness itself, with a message saying what to do.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A fresh directory under the system temp directory, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(_ label: String = "test") throws {
        path =
            FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
            .path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func appending(_ component: String) -> String { path + "/" + component }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes; throws with `what` on timeout.
/// It looks once more after the deadline: on a loaded machine the poller itself may wake late, and
/// what it waited for may have come meanwhile.
public func poll(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    if try await condition() { return }
    throw TestSupportError("timed out after \(timeout) waiting for \(what)")
}

/// Polls until `value` gives something, or fails after `timeout`; returns what it gave.
public func pollFor<T>(
    _ what: String, timeout: Duration = .seconds(30), _ value: () async throws -> T?
) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let found = try await value() { return found }
        try await Task.sleep(for: .milliseconds(20))
    }
    if let found = try await value() { return found }
    throw TestSupportError("timed out after \(timeout) waiting for \(what)")
}

/// A TCP port that was free a moment ago on 127.0.0.1, never handed out before in this process.
///
/// Taken below the kernel's ephemeral range: a port the kernel picks (for `bind` to port 0, or
/// as the local end of any outgoing connection, which the suites make by the thousand) could be
/// taken by another test between this check and the server's own bind, and a server then failed
/// to start with "address already in use".
public func freePort() throws -> Int {
    let lowest = 10_000
    let ceiling = max(lowest + 1_000, ephemeralPortsStart)
    for _ in 0..<500 {
        let candidate = Int.random(in: lowest..<ceiling)
        guard handedOutPorts.withLock({ $0.insert(candidate).inserted }) else { continue }
        if isBindable(candidate) { return candidate }
    }
    throw TestSupportError("no free port below \(ceiling) on 127.0.0.1")
}

private let handedOutPorts = Mutex<Set<Int>>([])

/// The first port of the kernel's ephemeral range (`ip_local_port_range`), 32768 by default.
private let ephemeralPortsStart: Int = {
    let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
    return text.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32768
}()

private func isBindable(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let length = socklen_t(MemoryLayout<sockaddr_in>.size)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    } == 0
}

/// Finds a command on PATH (plus the sbin directories), or fails naming the package to install.
public func requireTool(_ name: String, package: String) throws -> String {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    for directory in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/local/sbin"] {
        let candidate = directory + "/" + name
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw TestSupportError(
        "\(name) is not installed: run scripts/test.sh, which installs it (apt-get install \(package))")
}
