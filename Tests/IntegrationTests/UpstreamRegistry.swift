import Foundation
import TestSupport

/// Debian's docker-registry (distribution 2.8) as an upstream, on a free port and a temporary
/// storage directory, with htpasswd Basic auth or Bearer tokens from `token-server.py` (the
/// stand-in for Harbor's token service). It can be stopped and started again in place.
final class UpstreamRegistry: @unchecked Sendable {
    enum Auth {
        case basic
        case token
    }

    static let username = "robot"
    static let password = "s3cret-pass"

    let directory: TemporaryDirectory
    private(set) var port: Int
    private(set) var child: ChildProcess?
    private var tokenServer: ChildProcess?

    /// The scopes of the tokens the token service has issued, in order.
    var tokensIssued: [String] {
        (tokenServer?.output ?? "").split(separator: "\n").filter { $0.hasPrefix("issued ") }.map {
            String($0.dropFirst(7))
        }
    }

    /// Serves HTTPS with a certificate signed by nobody but `caFile`.
    let tls: Bool
    /// The namespace it runs in, on the far end of its link; nil for this machine's loopback.
    let wan: ShapedWAN?
    var address: String { wan?.farAddress ?? "127.0.0.1" }
    var host: String { "\(address):\(port)" }
    var url: String { "\(tls ? "https" : "http")://\(host)" }
    /// The certificate clients must trust to verify a TLS upstream.
    var caFile: String { directory.appending("tls-cert.pem") }
    var credentials: String { "\(Self.username):\(Self.password)" }
    var storage: String { directory.appending("storage") }

    init(auth: Auth = .basic, tls: Bool = false, in wan: ShapedWAN? = nil) async throws {
        directory = try TemporaryDirectory("upstream")
        port = try freePort()
        self.tls = tls
        self.wan = wan
        let address = wan?.farAddress ?? "127.0.0.1"
        var tlsConfig = ""
        if tls {
            let openssl = try requireTool("openssl", package: "openssl")
            try await runChecked(
                openssl,
                [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=\(address)",
                    "-addext", "subjectAltName=IP:\(address)",
                    "-keyout", directory.appending("tls-key.pem"), "-out", directory.appending("tls-cert.pem"),
                ])
            tlsConfig =
                """
                , tls: {certificate: \(directory.appending("tls-cert.pem")), key: \
                \(directory.appending("tls-key.pem"))}
                """
        }
        let authConfig: String
        switch auth {
        case .basic:
            let htpasswd = try requireTool("htpasswd", package: "apache2-utils")
            let entry = try await runChecked(htpasswd, ["-Bbn", Self.username, Self.password])
            try Data(entry.utf8).write(to: URL(fileURLWithPath: directory.appending("htpasswd")))
            authConfig = "htpasswd: {realm: upstream, path: \(directory.appending("htpasswd"))}"
        case .token:
            let realm = try await startTokenServer()
            authConfig =
                """
                token: {realm: \"\(realm)\", service: upstream, issuer: test-issuer, rootcertbundle: \
                \(directory.appending("token-cert.pem"))}
                """
        }
        let config = """
            version: 0.1
            log: {level: error}
            storage:
              filesystem: {rootdirectory: \(storage)}
              delete: {enabled: true}
            auth:
              \(authConfig)
            http: {addr: "\(address):{{PORT}}"\(tlsConfig)}
            """
        // A port looked up free can be taken by another test's process before docker-registry
        // binds it: the first start takes another then. Later starts keep theirs (clients know it).
        for attempt in 1... {
            try Data(config.replacingOccurrences(of: "{{PORT}}", with: String(port)).utf8).write(
                to: URL(fileURLWithPath: directory.appending("config.yml")))
            do {
                try await start()
                return
            } catch let error as TestSupportError where attempt < 5 && "\(error)".contains("address already in use") {
                port = try freePort()
            }
        }
    }

    /// Starts the token service with a fresh signing key; returns its realm URL.
    private func startTokenServer() async throws -> String {
        let openssl = try requireTool("openssl", package: "openssl")
        let python = try requireTool("python3", package: "python3")
        try await runChecked(
            openssl,
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=token-issuer",
                "-keyout", directory.appending("token-key.pem"), "-out", directory.appending("token-cert.pem"),
            ])
        let server = try ChildProcess(
            python,
            [
                "\(RealClientTests.scripts)/token-server.py", directory.appending("token-cert.pem"),
                directory.appending("token-key.pem"),
                Self.username, Self.password, "upstream", "test-issuer",
            ], logDirectory: directory.path)
        tokenServer = server
        try await poll("the token service to listen") {
            guard server.isRunning else { throw TestSupportError("token-server.py exited: \(server.errorOutput)") }
            return server.output.hasPrefix("port ")
        }
        let port = try require(server.output.split(separator: "\n").first?.split(separator: " ").last, "no token port")
        return "http://127.0.0.1:\(port)/token"
    }

    func start() async throws {
        let registry = try requireTool("docker-registry", package: "docker-registry")
        let command = [registry, "serve", directory.appending("config.yml")]
        let launcher = wan.map { [$0.ip, "netns", "exec", $0.namespace] } ?? []
        let child = try ChildProcess(
            (launcher + command)[0], Array((launcher + command).dropFirst()), logDirectory: directory.path)
        self.child = child
        let url = self.url
        try await poll("docker-registry to listen") {
            guard child.isRunning else { throw TestSupportError("docker-registry exited: \(child.errorOutput)") }
            return (try? await httpGet("\(url)/v2/", insecure: true))?.status == 401
        }
    }

    /// Requests the registry has logged (its access log, one line per request, on stdout).
    var requestLog: [String] {
        (child?.output ?? "").split(separator: "\n").map(String.init).filter {
            $0.contains("\" ") && $0.contains(" HTTP/1.1\"")
        }
    }

    func stop() async {
        await child?.stop()
        child = nil
    }

    /// Copies an image from an OCI layout into the upstream, digests preserved.
    func push(layout: String, name: String, to reference: String, all: Bool = false) async throws {
        let skopeo = try requireTool("skopeo", package: "skopeo")
        try await runChecked(
            skopeo,
            ["copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", credentials]
                + (all ? ["--all"] : []) + ["oci:\(layout):\(name)", "docker://\(host)/\(reference)"])
    }

    func cleanUp() async {
        await stop()
        await tokenServer?.stop()
        directory.remove()
    }
}

/// A state file naming artifacts in one upstream with Basic credentials.
/// A state of no artifacts that pulls `repositories` through from `central` (the upstream, or `url`
/// in front of it).
func proxyStateYAML(
    upstream: UpstreamRegistry, url: String? = nil, repositories: String = "library/*", tagTTL: Int? = nil
) -> String {
    stateYAML(generation: 1, upstream: upstream, url: url, artifacts: []).replacingOccurrences(
        of: "artifacts:\n", with: "artifacts: []\n")
        + "\nproxy:\n  - upstream: central\n    repositories: [\"\(repositories)\"]\n"
        + (tagTTL.map { "    tagTTL: \($0)\n" } ?? "")
}

func stateYAML(generation: Int, upstream: UpstreamRegistry, url: String? = nil, artifacts: [String]) -> String {
    let listed = artifacts.map { artifact in
        "  - upstream: central\n" + artifact.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
    }
    return """
        schemaVersion: 1
        generation: \(generation)
        upstreams:
          - name: central
            url: \(url ?? upstream.url)
            username: \(UpstreamRegistry.username)
            password: \(UpstreamRegistry.password)
        artifacts:
        \(listed.joined(separator: "\n"))
        """
}
