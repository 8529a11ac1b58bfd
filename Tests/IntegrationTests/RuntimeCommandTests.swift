import Foundation
import TestSupport
import Testing

/// `satellite runtime configure` refuses what it cannot do, with a message naming the input or
/// the file and line, and changes nothing.
@Suite("satellite runtime refusals") struct RuntimeCommandTests {
    static let state = """
        schemaVersion: 1
        generation: 1
        upstreams:
          - {name: central, url: "http://127.0.0.1:5000"}
        artifacts: []
        """

    @Test(
        arguments: [
            (["--advertise", "http://0.0.0.0:8080"], "names no address"),
            (["--advertise", "http://[::]:8080"], "names no address"),
            ([], "--advertise is required"),
            (["--advertise", "http://10.0.0.5:8080", "--runtime", "rkt"], "unknown runtime 'rkt'"),
            (["--advertise", "http://10.0.0.5:3128", "--via-proxy"], "are for docker, podman and CRI-O"),
            (["--advertise", "http://10.0.0.5:3128", "--via-proxy", "--runtime", "docker"], "needs --advertise-ca"),
        ] as [([String], String)])
    func unusableInputIsRefused(arguments: [String], message: String) async throws {
        let work = try TemporaryDirectory("runtime-command")
        defer { work.remove() }
        try Data(Self.state.utf8).write(to: URL(fileURLWithPath: work.appending("state.yaml")))
        try FileManager.default.createDirectory(atPath: work.appending("node"), withIntermediateDirectories: true)
        let runtime = arguments.contains("--runtime") ? [] : ["--runtime", "containerd"]
        let result = try await run(
            try productPath("satellite"),
            [
                "runtime", "configure", "--root", work.appending("node"),
                "--state-file", work.appending("state.yaml"),
            ] + runtime + arguments)
        #expect(result.status != 0 && result.error.contains(message), "\(result.error)")
        #expect(try treeSnapshot(work.appending("node")).isEmpty)
    }

    @Test func anUnparsableFileIsNamedWithItsLineAndLeftAsItWas() async throws {
        let work = try TemporaryDirectory("runtime-command")
        defer { work.remove() }
        try Data(Self.state.utf8).write(to: URL(fileURLWithPath: work.appending("state.yaml")))
        let node = work.appending("node")
        try FileManager.default.createDirectory(atPath: node + "/etc/containerd", withIntermediateDirectories: true)
        try Data("version = 2\n\n[plugins\n".utf8).write(to: URL(fileURLWithPath: node + "/etc/containerd/config.toml"))
        let before = try treeSnapshot(node)
        let result = try await run(
            try productPath("satellite"),
            [
                "runtime", "configure", "--runtime", "containerd", "--root", node, "--state-file",
                work.appending("state.yaml"),
                "--advertise", "http://10.0.0.5:8080",
            ])
        #expect(result.status != 0 && result.error.contains("etc/containerd/config.toml:3"), "\(result.error)")
        #expect(try treeSnapshot(node) == before)
    }
}
