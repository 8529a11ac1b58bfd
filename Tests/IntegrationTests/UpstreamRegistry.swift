import Foundation
import TestSupport

/// Debian's docker-registry (distribution 2.8) as an upstream, with htpasswd Basic auth, on a
/// free port and a temporary storage directory. It can be stopped and started again in place.
final class UpstreamRegistry: @unchecked Sendable {
    static let username = "robot"
    static let password = "s3cret-pass"

    let directory: TemporaryDirectory
    let port: Int
    private(set) var child: ChildProcess?

    var host: String { "127.0.0.1:\(port)" }
    var url: String { "http://\(host)" }
    var credentials: String { "\(Self.username):\(Self.password)" }
    var storage: String { directory.appending("storage") }

    init() async throws {
        directory = try TemporaryDirectory("upstream")
        port = try freePort()
        let htpasswd = try requireTool("htpasswd", package: "apache2-utils")
        let entry = try await runChecked(htpasswd, ["-Bbn", Self.username, Self.password])
        try Data(entry.utf8).write(to: URL(fileURLWithPath: directory.appending("htpasswd")))
        let config = """
        version: 0.1
        log: {level: error}
        storage:
          filesystem: {rootdirectory: \(storage)}
          delete: {enabled: true}
        auth:
          htpasswd: {realm: upstream, path: \(directory.appending("htpasswd"))}
        http: {addr: 127.0.0.1:\(port)}
        """
        try Data(config.utf8).write(to: URL(fileURLWithPath: directory.appending("config.yml")))
        try await start()
    }

    func start() async throws {
        let registry = try requireTool("docker-registry", package: "docker-registry")
        let child = try ChildProcess(registry, ["serve", directory.appending("config.yml")], logDirectory: directory.path)
        self.child = child
        let url = self.url
        try await poll("docker-registry to listen") {
            guard child.isRunning else { throw TestSupportError("docker-registry exited: \(child.errorOutput)") }
            return (try? await httpGet("\(url)/v2/"))?.status == 401
        }
    }

    /// Requests the registry has logged (its access log, one line per request, on stdout).
    var requestLog: [String] {
        (child?.output ?? "").split(separator: "\n").map(String.init).filter { $0.contains("\" ") && $0.contains(" HTTP/1.1\"") }
    }

    func stop() async {
        await child?.stop()
        child = nil
    }

    /// Copies an image from an OCI layout into the upstream, digests preserved.
    func push(layout: String, name: String, to reference: String, all: Bool = false) async throws {
        let skopeo = try requireTool("skopeo", package: "skopeo")
        try await runChecked(skopeo, ["copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", credentials]
            + (all ? ["--all"] : []) + ["oci:\(layout):\(name)", "docker://\(host)/\(reference)"])
    }

    func cleanUp() async {
        await stop()
        directory.remove()
    }
}

/// A state file naming artifacts in one upstream with Basic credentials.
func stateYAML(generation: Int, upstream: UpstreamRegistry, url: String? = nil, artifacts: [String]) -> String {
    """
    schemaVersion: 1
    generation: \(generation)
    upstreams:
      - name: central
        url: \(url ?? upstream.url)
        username: \(UpstreamRegistry.username)
        password: \(UpstreamRegistry.password)
    artifacts:
    \(artifacts.map { "  - upstream: central\n" + $0.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") }.joined(separator: "\n"))
    """
}
