import Foundation
import RuntimeConfig
import TestSupport
import Testing

/// Issue 25.7: runtime configuration on a hostile root. Nothing is written outside `--root`
/// through a symlink; a link that leads out is refused with a message naming it; a managed file
/// that is a link is replaced, never written through, and `restore` makes the link again.
@Suite struct SymlinkTests {
    /// A root and a directory beside it that must stay as it is.
    private static func withRoots(_ body: (NodeRoot, String) throws -> Void) throws {
        let root = try NodeRoot()
        let outside = try TemporaryDirectory("runtime-outside")
        defer {
            root.directory.remove()
            outside.remove()
        }
        try body(root, outside.path)
    }

    private static func link(_ root: NodeRoot, _ relative: String, to target: String) throws {
        let path = root.path + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
    }

    private static func entries(_ directory: String) throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: directory).sorted()
    }

    /// The refusal names the link and the root; the outside directory gains nothing.
    private static func expectRefused(
        _ root: NodeRoot, outside: String, naming link: String, _ run: () throws -> Void
    ) throws {
        let before = try entries(outside)
        do {
            try run()
            Issue.record("configured through \(link)")
        } catch let error as RuntimeConfigError {
            #expect(error.message.contains(root.path + "/" + link) && error.message.contains("outside"), "\(error)")
        }
        #expect(try entries(outside) == before, "written outside the root")
    }

    @Test(arguments: ["etc/containerd/certs.d", "etc/containerd", "etc", "var/lib/harbor-satellite"])
    func aDirectoryLinkOutOfTheRootIsRefused(link: String) throws {
        try Self.withRoots { root, outside in
            if link != "etc" && link != "etc/containerd" {
                try root.put(
                    "etc/containerd/config.toml", try Data(contentsOf: NodeRoot.fixture("containerd-2.x-config.toml")))
            }
            try Self.link(root, link, to: outside)
            try Self.expectRefused(root, outside: outside, naming: link) {
                _ = try RuntimeConfigurator(root: root.path).configure(.containerd, plan: try samplePlan())
            }
        }
    }

    @Test func aManagedFileLinkedOutOfTheRootIsRefused() throws {
        try Self.withRoots { root, outside in
            let config = outside + "/config.toml"
            try Data(contentsOf: NodeRoot.fixture("containerd-2.x-config.toml")).write(to: URL(fileURLWithPath: config))
            let bytes = try Data(contentsOf: URL(fileURLWithPath: config))
            try Self.link(root, "etc/containerd/config.toml", to: config)
            try Self.expectRefused(root, outside: outside, naming: "etc/containerd/config.toml") {
                _ = try RuntimeConfigurator(root: root.path).configure(.containerd, plan: try samplePlan())
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: config)) == bytes)
            #expect(
                root.read("etc/containerd/certs.d/docker.io/hosts.toml") == nil, "nothing written before the refusal")
        }
    }

    /// A link inside the root (as distributions ship `config.toml` pointing at a file of their
    /// own) is read through, replaced by the configured file, and comes back as the same link.
    @Test func aManagedFileLinkedInsideTheRootIsRestoredAsTheSameLink() throws {
        try Self.withRoots { root, _ in
            try root.put(
                "usr/share/containerd/config.toml", try Data(contentsOf: NodeRoot.fixture("containerd-2.x-config.toml"))
            )
            let shipped = try root.contents("usr/share/containerd/config.toml")
            try Self.link(root, "etc/containerd/config.toml", to: "../../usr/share/containerd/config.toml")
            let configurator = RuntimeConfigurator(root: root.path)
            _ = try configurator.configure(.containerd, plan: try samplePlan())

            let configured = root.path + "/etc/containerd/config.toml"
            #expect(
                (try? FileManager.default.destinationOfSymbolicLink(atPath: configured)) == nil,
                "the link was replaced by a file")
            #expect(try root.contents("etc/containerd/config.toml").contains("config_path"))
            #expect(try root.contents("usr/share/containerd/config.toml") == shipped, "never written through")

            _ = try configurator.restore(.containerd)
            #expect(
                try FileManager.default.destinationOfSymbolicLink(atPath: configured)
                    == "../../usr/share/containerd/config.toml")
            #expect(try root.contents("usr/share/containerd/config.toml") == shipped)
            #expect(root.read("etc/containerd/certs.d/docker.io/hosts.toml") == nil)
        }
    }

    /// A directory linked to another place under the root is followed.
    @Test func aDirectoryLinkedInsideTheRootIsFollowed() throws {
        try Self.withRoots { root, _ in
            try root.put(
                "opt/containerd/config.toml", try Data(contentsOf: NodeRoot.fixture("containerd-2.x-config.toml")))
            try Self.link(root, "etc/containerd", to: root.path + "/opt/containerd")
            let configurator = RuntimeConfigurator(root: root.path)
            _ = try configurator.configure(.containerd, plan: try samplePlan())
            #expect(root.read("opt/containerd/certs.d/docker.io/hosts.toml") != nil)
            _ = try configurator.restore(.containerd)
            #expect(root.read("opt/containerd/certs.d/docker.io/hosts.toml") == nil)
            #expect(
                try FileManager.default.destinationOfSymbolicLink(atPath: root.path + "/etc/containerd") == root.path
                    + "/opt/containerd")
        }
    }
}
