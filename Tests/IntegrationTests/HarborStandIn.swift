import Foundation
import TestSupport

/// `harbor-standin.py` (Harbor's v2.0 API, from its swagger) in front of a docker-registry of its
/// own, on free ports and a temporary directory. Harbor itself needs a container engine.
final class HarborStandIn: @unchecked Sendable {
    static let admin = "admin"
    static let adminPassword = "Harbor12345"

    let directory: TemporaryDirectory
    let registry: ChildProcess
    private(set) var standIn: ChildProcess
    let registryPort: Int
    private(set) var port: Int
    var url: String { "http://127.0.0.1:\(port)" }
    var host: String { "127.0.0.1:\(port)" }

    init() async throws {
        directory = try TemporaryDirectory("harbor")
        registryPort = try freePort()
        try Data("""
            version: 0.1
            log: {level: error}
            storage: {filesystem: {rootdirectory: \(directory.appending("storage"))}, delete: {enabled: true}}
            http: {addr: "127.0.0.1:\(registryPort)"}
            """.utf8).write(to: URL(fileURLWithPath: directory.appending("registry.yml")))
        registry = try ChildProcess(
            try requireTool("docker-registry", package: "docker-registry"), ["serve", directory.appending("registry.yml")], logDirectory: directory.path)
        let registryURL = "http://127.0.0.1:\(registryPort)/v2/"
        let registry = registry
        try await poll("docker-registry to listen") {
            guard registry.isRunning else { throw TestSupportError("docker-registry exited: \(registry.errorOutput)") }
            return (try? await httpGet(registryURL))?.status == 200
        }
        (standIn, port) = try await Self.start(registryPort: registryPort, directory: directory)
    }

    private static func start(registryPort: Int, directory: TemporaryDirectory) async throws -> (ChildProcess, Int) {
        let python = try requireTool("python3", package: "python3")
        let child = try ChildProcess(python, [
            "\(RealClientTests.scripts)/harbor-standin.py", String(registryPort), directory.appending("harbor-state.json"), "\(admin):\(adminPassword)",
        ], logDirectory: directory.path)
        let port = try await pollFor("the Harbor stand-in's port") {
            guard child.isRunning else { throw TestSupportError("harbor-standin.py exited: \(child.errorOutput)") }
            return child.output.split(separator: "\n").first { $0.hasPrefix("port ") }.flatMap { Int($0.dropFirst(5)) }
        }
        return (child, port)
    }

    /// Events the stand-in reported (robots created, deliveries), one per line.
    var events: [String] { standIn.output.split(separator: "\n").map(String.init) }

    /// Pushes an image from an OCI layout as the admin.
    func push(layout: String, name: String, to reference: String) async throws {
        try await runChecked(try requireTool("skopeo", package: "skopeo"), [
            "copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", "\(Self.admin):\(Self.adminPassword)",
            "oci:\(layout):\(name)", "docker://\(host)/\(reference)",
        ])
    }

    func cleanUp() async {
        await standIn.stop()
        await registry.stop()
        directory.remove()
    }
}
