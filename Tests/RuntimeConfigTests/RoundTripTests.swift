import Foundation
import RuntimeConfig
import TestSupport
import Testing

/// Configure, configure again, restore, on realistic existing files for every runtime: the
/// second run changes no byte and the restore gives back the exact tree that was there.
@Suite struct RoundTripTests {
    static let cases: [(Runtime, [String: String])] = [
        (.containerd, ["etc/containerd/config.toml": "containerd-1.x-config.toml"]),
        (.containerd, ["etc/containerd/config.toml": "containerd-2.x-config.toml"]),
        (.containerd, [:]),
        (.crio, ["etc/containers/registries.conf": "registries.conf"]),
        (.podman, ["etc/containers/registries.conf": "registries.conf"]),
        (.docker, ["etc/docker/daemon.json": "daemon.json"]),
        (.docker, [:]),
        (.k3s, ["etc/rancher/k3s/registries.yaml": "k3s-registries.yaml"]),
        (.rke2, [:]),
    ]

    @Test(arguments: cases)
    func configureTwiceThenRestore(runtime: Runtime, seeds: [String: String]) throws {
        let root = try NodeRoot(seeds)
        defer { root.directory.remove() }
        let before = try root.snapshot()
        let configurator = RuntimeConfigurator(root: root.path)

        let first = try configurator.configure(runtime, plan: try samplePlan())
        #expect(!first.changed.isEmpty)
        let configured = try root.snapshot()
        #expect(configured != before, "nothing was written")

        let second = try configurator.configure(runtime, plan: try samplePlan())
        #expect(second.changed.isEmpty, "\(second)")
        #expect(try root.snapshot() == configured, "a second run changed bytes")

        let restored = try configurator.restore(runtime)
        #expect(!restored.restored.isEmpty)
        let after = try root.snapshot()
        #expect(
            after == before,
            "not as before: \(Set(after.keys).union(before.keys).filter { after[$0] != before[$0] }.sorted())")
    }

    @Test func oneBackupPerFileHoweverManyRuns() throws {
        let root = try NodeRoot(["etc/docker/daemon.json": "daemon.json"])
        defer { root.directory.remove() }
        let original = root.read("etc/docker/daemon.json")
        let configurator = RuntimeConfigurator(root: root.path)
        _ = try configurator.configure(.docker, plan: try samplePlan(endpoints: ["http://10.0.0.5:8080"]))
        // A different plan rewrites the file; the backup stays the bytes from before the first run.
        _ = try configurator.configure(.docker, plan: try samplePlan(endpoints: ["http://10.0.0.7:8080"]))
        let originals = try FileManager.default.contentsOfDirectory(
            atPath: root.path + "/var/lib/harbor-satellite/runtime-backup/originals")
        #expect(originals.count == 1)
        _ = try configurator.restore(.docker)
        #expect(root.read("etc/docker/daemon.json") == original)
    }

    @Test func crioAndPodmanShareTheDropInUntilTheLastIsRestored() throws {
        let root = try NodeRoot()
        defer { root.directory.remove() }
        let configurator = RuntimeConfigurator(root: root.path)
        let dropIn = "etc/containers/registries.conf.d/50-satellite.conf"
        _ = try configurator.configure(.crio, plan: try samplePlan())
        let written = root.read(dropIn)
        #expect(try configurator.configure(.podman, plan: try samplePlan()).changed.isEmpty)
        _ = try configurator.restore(.podman)
        #expect(root.read(dropIn) == written, "CRI-O still uses it")
        _ = try configurator.restore(.crio)
        #expect(root.read(dropIn) == nil)
        #expect(try root.snapshot().keys.sorted() == [])
    }

    @Test func anUpstreamThatLeavesThePlanLosesItsHostsFile() throws {
        let root = try NodeRoot()
        defer { root.directory.remove() }
        let configurator = RuntimeConfigurator(root: root.path)
        var plan = try samplePlan()
        _ = try configurator.configure(.containerd, plan: plan)
        #expect(root.read("etc/containerd/certs.d/docker.io/hosts.toml") != nil)
        plan.registries.removeLast()
        let outcome = try configurator.configure(.containerd, plan: plan)
        #expect(outcome.restored == [root.path + "/etc/containerd/certs.d/docker.io/hosts.toml"])
        #expect(!FileManager.default.fileExists(atPath: root.path + "/etc/containerd/certs.d/docker.io"))
        _ = try configurator.restore(.containerd)
        #expect(try root.snapshot().keys.sorted() == [])
    }

    @Test func restoringWhatWasNeverConfiguredChangesNothing() throws {
        let root = try NodeRoot(["etc/docker/daemon.json": "daemon.json"])
        defer { root.directory.remove() }
        let before = try root.snapshot()
        let outcome = try RuntimeConfigurator(root: root.path).restore(.docker)
        #expect(outcome.restored.isEmpty && outcome.notes.first?.contains("nothing to restore") == true)
        #expect(try root.snapshot() == before)
    }
}

extension RoundTripTests {
    /// Directories made for one runtime's file may hold another's: each goes once it is empty.
    @Test func runtimesRestoredOneByOneLeaveNothing() throws {
        let root = try NodeRoot()
        defer { root.directory.remove() }
        let configurator = RuntimeConfigurator(root: root.path)
        for runtime in [Runtime.podman, .containerd, .docker] {
            _ = try configurator.configure(runtime, plan: try samplePlan())
        }
        for runtime in [Runtime.podman, .containerd, .docker] {
            _ = try configurator.restore(runtime)
        }
        #expect(try root.snapshot().keys.sorted() == [])
    }
}

extension RoundTripTests {
    /// A write that fails part way (here a file sits where a directory must go) leaves what was
    /// written recorded, so `restore` still gives back the tree as it was.
    @Test func aFailurePartWayIsUndoneByRestore() throws {
        let root = try NodeRoot(["etc/containerd/config.toml": "containerd-1.x-config.toml"])
        defer { root.directory.remove() }
        try root.put("etc/containerd/certs.d/docker.io", Data("in the way\n".utf8))
        let before = try root.snapshot()
        let configurator = RuntimeConfigurator(root: root.path)
        #expect(throws: RuntimeConfigError.self) { try configurator.configure(.containerd, plan: try samplePlan()) }
        #expect(
            root.read("etc/containerd/certs.d/127.0.0.1:5000/hosts.toml") != nil,
            "the first file was written before the failure")
        _ = try configurator.restore(.containerd)
        #expect(try root.snapshot() == before, "not as before after the restore")
    }
}
