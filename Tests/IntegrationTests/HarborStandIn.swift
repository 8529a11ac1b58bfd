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

    /// Harbor's `robot_name_prefix` setting; nil: Harbor's default, `robot$`.
    let robotPrefix: String?

    init(robotPrefix: String? = nil) async throws {
        self.robotPrefix = robotPrefix
        directory = try TemporaryDirectory("harbor")
        (registry, registryPort) = try await Self.startRegistry(in: directory)
        (standIn, port) = try await Self.start(
            registryPort: registryPort, directory: directory, robotPrefix: robotPrefix)
    }

    /// docker-registry on a free port. A port found free can be taken by another test before
    /// the registry binds it: then another port, up to three times.
    private static func startRegistry(in directory: TemporaryDirectory) async throws -> (ChildProcess, Int) {
        var attempt = 0
        while true {
            attempt += 1
            let port = try freePort()
            try Data(
                """
                version: 0.1
                log: {level: error}
                storage: {filesystem: {rootdirectory: \(directory.appending("storage"))}, delete: {enabled: true}}
                http: {addr: "127.0.0.1:\(port)"}
                """.utf8
            ).write(to: URL(fileURLWithPath: directory.appending("registry.yml")))
            let registry = try ChildProcess(
                try requireTool("docker-registry", package: "docker-registry"),
                ["serve", directory.appending("registry.yml")], logDirectory: directory.path)
            do {
                try await poll("docker-registry to listen") {
                    guard registry.isRunning else {
                        throw TestSupportError("docker-registry exited: \(registry.errorOutput)")
                    }
                    return (try? await httpGet("http://127.0.0.1:\(port)/v2/"))?.status == 200
                }
                return (registry, port)
            } catch  where attempt < 3 && registry.errorOutput.contains("address already in use") {
                continue
            }
        }
    }

    private static func start(
        registryPort: Int, directory: TemporaryDirectory, robotPrefix: String?, port: Int = 0
    ) async throws -> (ChildProcess, Int) {
        let python = try requireTool("python3", package: "python3")
        let child = try ChildProcess(
            python,
            [
                "\(RealClientTests.scripts)/harbor-standin.py", String(registryPort),
                directory.appending("harbor-state.json"), "\(admin):\(adminPassword)",
                String(port),
            ], logDirectory: directory.path, environment: robotPrefix.map { ["HARBOR_ROBOT_PREFIX": $0] })
        let port = try await pollFor("the Harbor stand-in's port") {
            guard child.isRunning else { throw TestSupportError("harbor-standin.py exited: \(child.errorOutput)") }
            return child.output.split(separator: "\n").first { $0.hasPrefix("port ") }.flatMap { Int($0.dropFirst(5)) }
        }
        return (child, port)
    }

    /// Harbor down: the API and the Distribution API stop answering (its state is kept).
    func stop() async {
        await standIn.stop()
    }

    /// Harbor back, on the same port, with the state it had.
    func start() async throws {
        (standIn, port) = try await Self.start(
            registryPort: registryPort, directory: directory, robotPrefix: robotPrefix, port: port)
    }

    /// Every robot with its permissions (and the hash of its secret), as the stand-in holds them.
    func robots() async throws -> [StandInRobot] {
        try JSONDecoder().decode([StandInRobot].self, from: try await httpGet("\(url)/standin/robots").body)
    }

    /// Whether `username`/`password` may pull `repository` from the Distribution API now.
    func canPull(_ repository: String, tag: String, username: String, password: String) async throws -> Bool {
        let basic = "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        let reply = try await httpSend(
            "HEAD", "\(url)/v2/\(repository)/manifests/\(tag)",
            headers: ["Authorization": basic, "Accept": "application/vnd.oci.image.manifest.v1+json"])
        return reply.status == 200
    }

    /// Sets an artifact's scan result (the stand-in then delivers `SCANNING_COMPLETED`).
    func setScan(_ repository: String, digest: String, severity: String) async throws {
        let reply = try await httpSend(
            "PUT", "\(url)/standin/scan/\(repository)@\(digest)", headers: ["Content-Type": "application/json"],
            body: Data(#"{"severity": "\#(severity)", "scan_status": "Success"}"#.utf8))
        guard reply.status == 200 else { throw TestSupportError("the stand-in refused a scan result: \(reply.status)") }
    }

    /// Events the stand-in reported (robots created, deliveries), one per line.
    var events: [String] { standIn.output.split(separator: "\n").map(String.init) }

    /// Pushes an image from an OCI layout as the admin.
    func push(layout: String, name: String, to reference: String) async throws {
        try await runChecked(
            try requireTool("skopeo", package: "skopeo"),
            [
                "copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds",
                "\(Self.admin):\(Self.adminPassword)",
                "oci:\(layout):\(name)", "docker://\(host)/\(reference)",
            ])
    }

    struct StandInRobot: Decodable {
        struct Permission: Decodable {
            let namespace: String
        }
        let id: Int
        let name: String
        let disable: Bool
        let permissions: [Permission]
        let expires_at: Int
    }

    func cleanUp() async {
        await standIn.stop()
        await registry.stop()
        directory.remove()
    }
}
