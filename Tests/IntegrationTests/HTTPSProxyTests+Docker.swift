import Foundation
import OCI
import TestSupport
import Testing

extension HTTPSProxyTests {
    /// Docker Engine, which mirrors Docker Hub only, pulls another registry's image through the
    /// satellite once `satellite runtime configure --runtime docker --via-proxy` has written its
    /// systemd drop-in and the site CA: dockerd runs with the drop-in's environment, in a mount
    /// namespace whose /etc/docker is the node root's. Where the daemon cannot start (an
    /// unprivileged container), the output says so and the podman test stands in.
    @Test func dockerEnginePullsThroughTheProxyConfiguredByRuntimeConfigure() async throws {
        let dockerd = try requireTool("dockerd", package: "docker.io")
        let docker = try requireTool("docker", package: "docker.io")
        try await Self.withFarUpstream("proxy-docker") { wan, work, images, upstream in
            let proxied = try await ProxiedAgent(upstream: upstream, work: work)
            defer { proxied.agent.terminate() }

            let node = work.appending("node")
            try FileManager.default.createDirectory(atPath: node, withIntermediateDirectories: true)
            _ = try await runChecked(
                try productPath("satellite"),
                [
                    "runtime", "configure", "--runtime", "docker", "--via-proxy", "--root", node, "--state-file",
                    proxied.agent.stateFile, "--advertise", proxied.proxyURL, "--advertise-ca", proxied.caFile,
                ])
            let dropIn = try String(
                contentsOfFile: node + "/etc/systemd/system/docker.service.d/50-harbor-satellite-proxy.conf",
                encoding: .utf8)
            var environment: [String: String] = [:]
            for match in dropIn.matches(of: #/Environment="([A-Z_]+)=([^"]*)"/#) {
                environment[String(match.1)] = String(match.2)
            }
            #expect(environment["HTTPS_PROXY"] == proxied.proxyURL, "\(dropIn)")
            let trusted = try String(
                contentsOfFile: node + "/etc/docker/certs.d/\(upstream.host)/ca.crt", encoding: .utf8)
            #expect(trusted == (try String(contentsOfFile: proxied.caFile, encoding: .utf8)))

            // dockerd as systemd would start it with the drop-in, seeing the node root's /etc/docker.
            let socket = work.appending("docker.sock")
            let daemon = try ChildProcess(
                "/usr/bin/unshare",
                [
                    "--mount", "--", "/bin/sh", "-c",
                    #"mkdir -p /etc/docker && mount --bind "$0/etc/docker" /etc/docker && exec "$@""#,
                    node, dockerd, "--data-root", work.appending("docker/root"), "--exec-root",
                    work.appending("docker/exec"), "--pidfile", work.appending("docker/pid"), "-H", "unix://\(socket)",
                    "--bridge", "none", "--iptables=false", "--ip6tables=false",
                ],
                logDirectory: work.path,
                environment: environment.merging(["no_proxy": "", "https_proxy": ""]) { a, _ in a })
            defer { Task { await daemon.stop() } }
            let started = try await pollFor("dockerd to answer or give up", timeout: .seconds(60)) { () -> Bool? in
                if !daemon.isRunning { return false }
                let info = try await run(docker, ["-H", "unix://\(socket)", "info", "--format", "{{.ServerVersion}}"])
                return info.status == 0 ? true : nil
            }
            guard started else {
                print(
                    """
                    HTTPSProxyTests: Docker Engine NOT RUN: dockerd cannot start on this machine \
                    (\(daemon.errorOutput.split(separator: "\n").last ?? "")); \
                    podmanPullsThroughTheProxyTwiceTheSecondTimeWithTheUpstreamStopped stands in (the same proxy \
                    settings, read by the same Go proxy code)
                    """
                )
                return
            }
            let reference = "\(upstream.host)/library/app:1"
            _ = try await runChecked(
                docker, ["-H", "unix://\(socket)", "pull", "-q", reference], timeout: .seconds(120))
            let digests = try await runChecked(
                docker, ["-H", "unix://\(socket)", "image", "inspect", "--format", "{{json .RepoDigests}}", reference])
            #expect(digests.contains(images.first.digest.string), "\(digests)")
            // Served by the satellite: it now holds what docker pulled.
            let held = try await httpGet(
                proxied.agent.baseURL + "/v2/central/library/app/manifests/1",
                headers: ["Accept": MediaType.ociManifest])
            #expect(held.status == 200)

            await daemon.stop()
            _ = try await runChecked(
                try productPath("satellite"), ["runtime", "restore", "--runtime", "docker", "--root", node])
            // dockerd keeps its identity in /etc/docker/key.json, which is the node root's here.
            let left = try treeSnapshot(node).keys.filter {
                !["etc", "etc/docker", "etc/docker/key.json"].contains($0)
            }
            #expect(left.isEmpty, "\(left.sorted())")
        }
    }
}
