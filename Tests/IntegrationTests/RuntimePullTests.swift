import Foundation
import OCI
import TestSupport
import Testing

/// The node's runtimes pull through the satellite once it has configured them: containerd (a
/// daemon the test starts, with the `hosts.toml` files the agent wrote) and podman (with the
/// drop-in `satellite runtime configure` wrote). Both upstreams are stopped before the pulls,
/// and both hold `apps/web:1` with different content: each pull gets its own upstream's digest.
@Suite("Runtimes pull through the satellite") struct RuntimePullTests {
    @Test func containerdAndPodmanPullEachUpstreamsCopyWithTheUpstreamsStopped() async throws {
        let ctr = try requireTool("ctr", package: "containerd")
        let podman = try requireTool("podman", package: "podman")
        try await NamespacingTests.withTwoUpstreams { work, images, central, branch in

            // A node root with a containerd that has a configuration of its own, and podman's.
            let node = work.appending("node")
            let containerd = try ContainerdDaemon(
                root: work.appending("containerd"), configFile: node + "/etc/containerd/config.toml")
            try FileManager.default.createDirectory(atPath: node + "/etc/containers", withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                atPath: "/etc/containers/policy.json", toPath: node + "/etc/containers/policy.json")
            let nodeBefore = try treeSnapshot(node)

            // The agent configures containerd itself, at start.
            let port = try freePort()
            let agent = try await SatelliteAgent(
                state: NamespacingTests.state(generation: 1, central: central, branch: branch, branchHasWeb: true),
                arguments: [
                    "--configure-runtime", "containerd", "--advertise", "http://127.0.0.1:\(port)", "--runtime-root",
                    node,
                ],
                port: port)
            defer { agent.terminate() }
            try await agent.waitForStatus("both upstreams synced") { $0.allSynced && $0.inventory.count == 3 }
            try await poll("containerd's hosts.toml for both upstreams") {
                FileManager.default.fileExists(atPath: "\(node)/etc/containerd/certs.d/\(central.host)/hosts.toml")
                    && FileManager.default.fileExists(
                        atPath: "\(node)/etc/containerd/certs.d/\(branch.host)/hosts.toml")
            }
            // podman through the command an operator runs.
            let configured = try await runChecked(
                try productPath("satellite"),
                [
                    "runtime", "configure", "--runtime", "podman", "--root", node, "--state-file", agent.stateFile,
                    "--advertise", "http://127.0.0.1:\(port)",
                ])
            #expect(configured.contains("registries.conf.d/50-satellite.conf"), "\(configured)")

            await central.stop()
            await branch.stop()

            // containerd reads config_path from the rewritten config.toml (its CRI plugin, which the
            // daemon here runs without, is what uses it); ctr resolves through the same hosts files.
            let written = try String(contentsOfFile: containerd.configFile, encoding: .utf8)
            let withCRI = work.appending("config-with-cri.toml")
            try Data(
                written.replacingOccurrences(
                    of: #"disabled_plugins = \[[^\]]*\]"#, with: "disabled_plugins = []", options: .regularExpression
                ).utf8
            )
            .write(to: URL(fileURLWithPath: withCRI))
            let dump = try await runChecked(
                try requireTool("containerd", package: "containerd"), ["--config", withCRI, "config", "dump"])
            #expect(dump.contains("config_path = \"\(node)/etc/containerd/certs.d\""), "\(dump)")
            try await containerd.start()
            defer { containerd.stop() }
            for (upstream, image) in [(central, images.first), (branch, images.second)] {
                try await runChecked(
                    ctr,
                    [
                        "--address", containerd.socket, "images", "pull", "--snapshotter", "native",
                        "--hosts-dir", node + "/etc/containerd/certs.d", "\(upstream.host)/apps/web:1",
                    ])
                let listing = try await runChecked(ctr, ["--address", containerd.socket, "images", "ls"])
                #expect(
                    listing.contains("\(upstream.host)/apps/web:1") && listing.contains(image.digest.string),
                    "\(listing)")
            }

            // podman: its view of /etc/containers is the node root's, in a mount namespace of its own.
            for (upstream, image) in [(central, images.first), (branch, images.second)] {
                let digest = try await runChecked(
                    "/usr/bin/unshare",
                    [
                        "--mount", "--", "/bin/sh", "-c",
                        """
                        mount --bind "$0/etc/containers" /etc/containers && \
                        "$1" --root "$2/root" --runroot "$2/run" --storage-driver vfs pull -q "$3" >/dev/null && \
                        "$1" --root "$2/root" --runroot "$2/run" --storage-driver vfs image inspect --format \
                        '{{.Digest}}' "$3"
                        """, node, podman, work.appending("podman"), "\(upstream.host)/apps/web:1",
                    ])
                #expect(digest.trimmingCharacters(in: .whitespacesAndNewlines) == image.digest.string)
            }

            // Both undone byte for byte: podman by the command, containerd once the agent is gone.
            try await runChecked(
                try productPath("satellite"), ["runtime", "restore", "--runtime", "podman", "--root", node])
            agent.terminate()
            try await runChecked(
                try productPath("satellite"), ["runtime", "restore", "--runtime", "containerd", "--root", node])
            // podman keeps its network lock under /etc/containers, which is the node root's here.
            let nodeAfter = try treeSnapshot(node).filter { !$0.key.hasPrefix("etc/containers/networks") }
            #expect(
                nodeAfter == nodeBefore,
                """
                not as before: \
                \(Set(nodeAfter.keys).union(nodeBefore.keys).filter { nodeAfter[$0] != nodeBefore[$0] }.sorted())
                """
            )
        }
    }
}

/// A containerd with its own root, state and sockets, started on demand.
final class ContainerdDaemon: @unchecked Sendable {
    let root: String
    let configFile: String
    var socket: String { root + "/containerd.sock" }
    private var child: ChildProcess?

    /// Writes the daemon's configuration (CRI off: the test drives it with ctr).
    init(root: String, configFile: String) throws {
        self.root = root
        self.configFile = configFile
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            atPath: (configFile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let config = """
            # This node's containerd: CRI is off, the tests drive it with ctr.
            version = 2
            root = "\(root)/root"
            state = "\(root)/state"
            disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", \
            "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", \
            "io.containerd.snapshotter.v1.devmapper"]

            [grpc]
              address = "\(socket)"

            [ttrpc]
              address = "\(root)/ttrpc.sock"

            [debug]
              address = "\(root)/debug.sock"

            """
        try Data(config.utf8).write(to: URL(fileURLWithPath: configFile))
    }

    func start() async throws {
        let containerd = try requireTool("containerd", package: "containerd")
        let daemon = try ChildProcess(containerd, ["--config", configFile], logDirectory: root)
        child = daemon
        let socket = self.socket
        try await poll("containerd to listen") {
            guard daemon.isRunning else { throw TestSupportError("containerd exited: \(daemon.errorOutput)") }
            return FileManager.default.fileExists(atPath: socket)
        }
    }

    func stop() {
        child?.signal(SIGKILL)
    }
}

/// Every file (with its bytes) and directory under `path`.
func treeSnapshot(_ path: String) throws -> [String: Data] {
    var entries: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(atPath: path)
    while let relative = enumerator?.nextObject() as? String {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path + "/" + relative, isDirectory: &isDirectory)
        entries[relative] =
            isDirectory.boolValue
            ? Data("<directory>".utf8) : try Data(contentsOf: URL(fileURLWithPath: path + "/" + relative))
    }
    return entries
}
