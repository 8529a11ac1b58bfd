import Foundation
import RuntimeConfig
import TestSupport
import Testing

/// What `configure` refuses: unusable addresses, and files it cannot edit safely. A refusal
/// names the input or the file and line, and leaves every file as it was.
@Suite struct RefusalTests {
    @Test(arguments: [
        "http://0.0.0.0:8080", "http://[::]:8080", "https://0.0.0.0", "ftp://10.0.0.5", "10.0.0.5:8080",
        "http://10.0.0.5:8080/v2", "http://",
    ])
    func advertiseAddressesDevicesCannotReachAreRefused(raw: String) {
        #expect(throws: RuntimeConfigError.self) { try MirrorPlan.Endpoint(raw) }
    }

    @Test(
        arguments: [
            (
                Runtime.containerd, "etc/containerd/config.toml", "version = 2\n[plugins\nx = 1\n",
                "etc/containerd/config.toml:2"
            ),
            (
                .docker, "etc/docker/daemon.json", "{\n  \"debug\": true,\n  \"log-level\" \"warn\"\n}\n",
                "etc/docker/daemon.json:3"
            ),
            (
                .k3s, "etc/rancher/k3s/registries.yaml", "mirrors:\n  docker.io:\n    endpoint: [\"a\"\n",
                "etc/rancher/k3s/registries.yaml:"
            ),
            (.containerd, "etc/containerd/config.toml", "root = '/var/lib/containerd'\n", "version 1"),
            (
                .containerd, "etc/containerd/config.toml",
                """
                version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]\nendpoint = \
                [\"https://m\"]\n
                """,
                "registry.mirrors"
            ),
            (
                .docker, "etc/docker/daemon.json", "{\"registry-mirrors\": \"https://m\"}",
                "registry-mirrors is not a list"
            ),
        ] as [(Runtime, String, String, String)])
    func aFileThatCannotBeEditedIsLeftUntouched(runtime: Runtime, file: String, content: String, named: String) throws {
        let root = try NodeRoot()
        defer { root.directory.remove() }
        try root.put(file, Data(content.utf8))
        let before = try root.snapshot()
        do {
            _ = try RuntimeConfigurator(root: root.path).configure(runtime, plan: try samplePlan())
            Issue.record("\(file) was accepted")
        } catch let error as RuntimeConfigError {
            #expect(error.message.contains(named) && error.message.contains("left as it was"), "\(error)")
        }
        #expect(try root.snapshot() == before, "the tree changed")
    }
}
