import Crypto
import Foundation
import OCI
import TestSupport
import Testing

/// The satellite as an HTTPS proxy (`--http-proxy-listen`), with the clients devices run. The
/// upstream sits in a network namespace at a non-loopback address: Go clients (podman) never send
/// loopback hosts through a proxy, and the proxy never tunnels to this machine.
@Suite("HTTPS proxy") struct HTTPSProxyTests {
    /// An agent pulling `library/*` through from a TLS upstream it trusts by CA file, with the
    /// proxy listening; its port, and the site CA it serves under, written for clients.
    struct ProxiedAgent {
        let agent: SatelliteAgent
        let proxyPort: Int
        let caFile: String
        var proxyURL: String { "http://127.0.0.1:\(proxyPort)" }

        /// The port the agent's proxy took, as it prints it.
        static func proxyPort(of agent: SatelliteAgent) async throws -> Int {
            let child = agent.child
            return try await pollFor("the proxy's address") { () -> Int? in
                guard child.isRunning else { throw TestSupportError("satellite exited: \(child.errorOutput)") }
                return child.output.firstMatch(of: #/satellite: HTTPS proxy at http://[^ ]+:(\d+)/#).flatMap {
                    Int($0.1)
                }
            }
        }

        init(
            upstream: UpstreamRegistry, pass: [String] = [], arguments: [String] = [], work: TemporaryDirectory
        ) async throws {
            let state = proxyStateYAML(upstream: upstream).replacingOccurrences(
                of: "    password: \(UpstreamRegistry.password)\n",
                with: "    password: \(UpstreamRegistry.password)\n    caFile: \(upstream.caFile)\n")
            agent = try await SatelliteAgent(
                state: state,
                arguments: ["--http-proxy-listen", "127.0.0.1:0"] + pass.flatMap { ["--proxy-pass", $0] } + arguments)
            proxyPort = try await Self.proxyPort(of: agent)
            try await agent.waitForStatus("the first sync") { $0.lastSync != nil }
            // What an operator hands the site's devices: the CA, as `proxy-ca export` prints it.
            let certificate = try await runChecked(
                try productPath("satellite"), ["proxy-ca", "export", "--data-dir", agent.dataDirectory])
            #expect(certificate.hasPrefix("-----BEGIN CERTIFICATE-----"))
            try FileManager.default.createDirectory(atPath: work.appending("certs"), withIntermediateDirectories: true)
            caFile = work.appending("certs/ca.crt")
            try Data(certificate.utf8).write(to: URL(fileURLWithPath: caFile))
        }
    }

    /// A TLS upstream at a non-loopback address (a network namespace's), holding `library/app:1`.
    static func withFarUpstream(
        _ name: String, _ body: (ShapedWAN, TemporaryDirectory, TestImages, UpstreamRegistry) async throws -> Void
    ) async throws {
        let wan = try #require(try await ShapedWAN.make(), "network namespaces are needed for a non-loopback upstream")
        defer { wan.remove() }
        let work = try TemporaryDirectory(name)
        defer { work.remove() }
        let images = try TestImages(in: work)
        let upstream = try await UpstreamRegistry(tls: true, in: wan)
        defer { Task { await upstream.cleanUp() } }
        try await upstream.push(layout: images.layout, name: "first", to: "library/app:1")
        try await body(wan, work, images, upstream)
    }

    @Test func podmanPullsThroughTheProxyTwiceTheSecondTimeWithTheUpstreamStopped() async throws {
        let podman = try requireTool("podman", package: "podman")
        try await Self.withFarUpstream("proxy-podman") { wan, work, images, upstream in
            let proxied = try await ProxiedAgent(upstream: upstream, work: work)
            defer { proxied.agent.terminate() }

            // podman as on a device whose only setting is HTTPS_PROXY, trusting the site CA.
            let environment = ["HTTPS_PROXY": proxied.proxyURL, "NO_PROXY": "", "https_proxy": "", "no_proxy": ""]
            let storage = [
                "--root", work.appending("podman/root"), "--runroot", work.appending("podman/run"), "--storage-driver",
                "vfs",
            ]
            let reference = "\(upstream.host)/library/app:1"
            func pull() async throws -> String {
                _ = try await runChecked(
                    podman, storage + ["pull", "-q", "--cert-dir", work.appending("certs"), reference],
                    environment: environment)
                return try await runChecked(
                    podman, storage + ["image", "inspect", "--format", "{{.Digest}}", reference]
                )
                .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            #expect(try await pull() == images.first.digest.string)
            // The satellite fetched and kept it (podman alone could not: the upstream wants credentials).
            let held = try await httpGet(
                proxied.agent.baseURL + "/v2/central/library/app/manifests/1",
                headers: ["Accept": MediaType.ociManifest])
            #expect(held.status == 200 && held.headers["docker-content-digest"] == images.first.digest.string)

            // Again, the upstream gone: served from the satellite's store.
            _ = try await runChecked(podman, storage + ["rmi", "-f", reference])
            await upstream.stop()
            #expect(try await pull() == images.first.digest.string)

            // And as `satellite runtime configure --runtime podman --via-proxy` leaves a node: no
            // environment, no --cert-dir; podman reads its containers.conf.d and certs.d, which
            // are the node root's in a mount namespace of its own.
            let node = work.appending("node")
            try FileManager.default.createDirectory(atPath: node + "/etc", withIntermediateDirectories: true)
            try await runChecked("/bin/cp", ["-a", "/etc/containers", node + "/etc/containers"])
            let nodeBefore = try treeSnapshot(node)
            _ = try await runChecked(
                try productPath("satellite"),
                [
                    "runtime", "configure", "--runtime", "podman", "--via-proxy", "--root", node, "--state-file",
                    proxied.agent.stateFile, "--advertise", proxied.proxyURL, "--advertise-ca", proxied.caFile,
                ])
            _ = try await runChecked(podman, storage + ["rmi", "-f", reference])
            let digest = try await runChecked(
                "/usr/bin/unshare",
                [
                    "--mount", "--", "/bin/sh", "-c",
                    """
                    mount --bind "$0/etc/containers" /etc/containers && p="$1" && r="$2" && shift 2 && \
                    "$p" "$@" pull -q "$r" >/dev/null && "$p" "$@" image inspect --format '{{.Digest}}' "$r"
                    """, node, podman, reference,
                ] + storage)
            #expect(digest.trimmingCharacters(in: .whitespacesAndNewlines) == images.first.digest.string)
            _ = try await runChecked(
                try productPath("satellite"), ["runtime", "restore", "--runtime", "podman", "--root", node])
            // podman keeps its network lock under /etc/containers, which is the node root's here.
            let kept = { (tree: [String: Data]) in tree.filter { !$0.key.hasPrefix("etc/containers/networks") } }
            let (after, before) = (kept(try treeSnapshot(node)), kept(nodeBefore))
            #expect(
                after == before, "\(Set(after.keys).union(before.keys).filter { after[$0] != before[$0] }.sorted())")
        }
    }

    @Test func curlIsServedTunnelledOrRefusedByHost() async throws {
        let curl = try requireTool("curl", package: "curl")
        let python = try requireTool("python3", package: "python3")
        try await Self.withFarUpstream("proxy-curl") { wan, work, images, upstream in

            // A plain web server beside the upstream, for the tunnel.
            let files = work.appending("files")
            try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
            let payload = Data(patternBytes(2 * 1024 * 1024, seed: 7))
            try payload.write(to: URL(fileURLWithPath: files + "/payload"))
            let webPort = try freePort()
            let web = try ChildProcess(
                wan.ip,
                [
                    "netns", "exec", wan.namespace, python, "-m", "http.server", String(webPort), "--bind",
                    wan.farAddress, "--directory", files,
                ], logDirectory: work.path)
            defer { Task { await web.stop() } }
            try await poll("the web server in the namespace") {
                (try? await httpGet("http://\(wan.farAddress):\(webPort)/payload"))?.status == 200
            }

            // Everything passed, to show that this machine is refused whatever the list says.
            let proxied = try await ProxiedAgent(upstream: upstream, pass: ["*:*"], work: work)
            defer { proxied.agent.terminate() }
            let proxy = ["--proxy", proxied.proxyURL, "--noproxy", ""]
            /// The status the proxy answered a CONNECT to `target` with.
            func connectStatus(_ target: String) async throws -> String {
                try await run(
                    curl,
                    ["-s", "-o", "/dev/null", "-p", "-w", "%{http_connect}", "--max-time", "10"] + proxy
                        + ["http://\(target)/"]
                ).output
            }

            // The state's registry: served under the site CA, pulled through.
            let manifest = try await runChecked(
                curl,
                ["-sSf", "--cacert", proxied.caFile, "-H", "Accept: \(MediaType.ociManifest)", "-D", "-"] + proxy
                    + ["https://\(upstream.host)/v2/library/app/manifests/1", "-o", "/dev/null"])
            #expect(
                manifest.lowercased().contains("docker-content-digest: \(images.first.digest.string)"), "\(manifest)")
            // Its CA is not the upstream's: a client trusting only the upstream refuses it.
            let wrongCA = try await run(
                curl, ["-sS", "--cacert", upstream.caFile] + proxy + ["https://\(upstream.host)/v2/"])
            #expect(wrongCA.status != 0)
            // In the plain too (an http:// registry through HTTP_PROXY).
            let plain = try await runChecked(curl, ["-sSf"] + proxy + ["http://\(upstream.host)/v2/"])
            #expect(plain == "{}")

            // A passed host: tunnelled, bytes unchanged.
            let tunnelled = work.appending("tunnelled")
            _ = try await runChecked(
                curl, ["-sSf", "-p"] + proxy + ["http://\(wan.farAddress):\(webPort)/payload", "-o", tunnelled])
            #expect(try Data(contentsOf: URL(fileURLWithPath: tunnelled)) == payload)

            // This machine, its loopback and link-local addresses: refused, whatever port.
            let agentPort = proxied.agent.port
            var scanned = ["127.0.0.1:\(agentPort)", "127.0.0.1:\(proxied.proxyPort)", "localhost:\(agentPort)"]
            scanned += [22, 80, 443, 5432, 6443, 8080, 10250].map { "127.0.0.1:\($0)" }
            scanned += ["169.254.169.254:80", "[::1]:\(agentPort)", "\(wan.nearAddress):\(agentPort)"]
            for target in scanned {
                #expect(try await connectStatus(target) == "403", "CONNECT \(target)")
            }
            // A host neither the state's nor passed (a narrower list): refused.
            let narrow = try await SatelliteAgent(
                state: nil, arguments: ["--http-proxy-listen", "127.0.0.1:0", "--proxy-pass", "mirror.example"],
                source: ["--state-file", proxied.agent.stateFile])
            defer { narrow.terminate() }
            let narrowPort = try await ProxiedAgent.proxyPort(of: narrow)
            let refused = try await run(
                curl,
                ["-s", "-o", "/dev/null", "-p", "-w", "%{http_connect}", "--proxy", "http://127.0.0.1:\(narrowPort)"]
                    + ["http://\(wan.farAddress):\(webPort)/payload"])
            #expect(refused.output == "403")
            // The proxy still serves after all that.
            let again = try await runChecked(
                curl, ["-sSf", "--cacert", proxied.caFile] + proxy + ["https://\(upstream.host)/v2/"])
            #expect(again == "{}")

            // What it did, on /metrics: every CONNECT by where it went, no tunnel left open.
            try await poll("the proxy's counts") {
                let text = String(
                    decoding: try await httpGet(proxied.agent.baseURL + "/metrics").body, as: UTF8.self)
                func value(_ name: String) -> Double? {
                    text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
                        .flatMap { Double($0.split(separator: " ").last ?? "") }
                }
                return (value(#"satellite_proxy_connects_total{route="served"}"#) ?? 0) >= 2
                    && value(#"satellite_proxy_connects_total{route="tunnelled"}"#) == 1
                    && (value(#"satellite_proxy_connects_total{route="refused"}"#) ?? 0) >= Double(scanned.count)
                    && value("satellite_proxy_tunnels_open") == 0
            }
        }
    }
}

extension HTTPSProxyTests {
    /// The proxy's settings refused at start with the field named, before anything is made.
    @Test(
        arguments: [
            (["--proxy-pass", "github.com"], "need --http-proxy-listen"),
            (["--http-proxy-listen", "127.0.0.1:0", "--proxy-pass", "a b"], "proxy-pass: 'a b'"),
            (["--http-proxy-listen", "127.0.0.1:0", "--proxy-pass", "host:99999"], "proxy-pass: 'host:99999'"),
            (["--http-proxy-listen", "127.0.0.1:0", "--proxy-ca-cert", "/etc/hostname"], "given together"),
            (["--http-proxy-listen", "nowhere"], "http-proxy-listen"),
            (
                ["--http-proxy-listen", "127.0.0.1:0", "--proxy-ca-cert", "/nonexistent", "--proxy-ca-key", "/x"],
                "proxy-ca-cert: cannot read"
            ),
        ] as [([String], String)])
    func badProxySettingsAreRefusedNamingTheField(arguments: [String], message: String) async throws {
        let result = try await satelliteRunAtStart(arguments)
        #expect(result.status != 0 && result.error.contains(message), "\(arguments): \(result.error)")
        #expect(!result.made)
    }
}
