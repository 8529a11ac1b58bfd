import Foundation
import SatelliteProtocol
import TestSupport
import Testing
import Yams

/// What scripts/package.sh writes to dist/ (scripts/test.sh runs it before the tests): tarballs
/// of static programs with systemd units that verify, OCI images that run, and Kubernetes
/// manifests for this release.
@Suite("Packages") struct PackageTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let version = ReleaseVersion.current

    static func dist() throws -> String {
        let dist = ProcessInfo.processInfo.environment["SATELLITE_DIST"] ?? root + "/dist"
        guard FileManager.default.fileExists(atPath: dist + "/SHA256SUMS") else {
            throw TestSupportError(
                "no packages in \(dist): run scripts/package.sh (scripts/test.sh runs it), or set SATELLITE_DIST")
        }
        return dist
    }

    /// Unpacks one program's tarball into `work`; returns the unpacked directory.
    func unpack(_ program: String, into work: TemporaryDirectory) async throws -> String {
        let dist = try Self.dist()
        let tarball = try #require(
            try FileManager.default.contentsOfDirectory(atPath: dist).first {
                $0.hasPrefix("\(program)-\(Self.version)-linux-") && $0.hasSuffix(".tar.gz")
            }, "no \(program) tarball of \(Self.version) in \(dist)")
        try await runChecked("/bin/tar", ["-xzf", dist + "/" + tarball, "-C", work.path])
        return work.appending(String(tarball.dropLast(".tar.gz".count)))
    }

    @Test func tarballsHoldStaticProgramsWithUnitsConfigAndDocs() async throws {
        let dist = try Self.dist()
        let sums = try await run("/bin/sh", ["-c", "cd \"$1\" && sha256sum -c SHA256SUMS", "sh", dist])
        #expect(sums.status == 0, "\(sums.output)\(sums.error)")
        let work = try TemporaryDirectory("package")
        defer { work.remove() }
        for program in ["satellite", "ground-control", "satctl"] {
            let unpacked = try await unpack(program, into: work)
            let binary = unpacked + "/bin/" + program
            #expect(
                try await runChecked(binary, ["--version"]).trimmingCharacters(in: .whitespacesAndNewlines)
                    == Self.version)
            let libraries = try await runChecked("/usr/bin/ldd", [binary])
            #expect(!libraries.contains("libswift"), "\(program) links the Swift runtime dynamically:\n\(libraries)")
            #expect(FileManager.default.fileExists(atPath: unpacked + "/share/doc/harbor-satellite/operating.md"))
            #expect(FileManager.default.isExecutableFile(atPath: unpacked + "/install.sh"))
            if program != "satctl" {
                for file in [
                    "lib/systemd/system/\(program).service", "etc/\(program)/\(program).yaml",
                    "etc/\(program)/\(program).env",
                ] {
                    #expect(FileManager.default.fileExists(atPath: unpacked + "/" + file), "\(program): \(file)")
                }
            }
        }
    }

    /// `systemd-analyze verify` on each unit, with ExecStart pointed at the unpacked program
    /// (verify checks that the program exists).
    @Test func systemdUnitsVerify() async throws {
        let analyze = try requireTool("systemd-analyze", package: "systemd")
        let work = try TemporaryDirectory("units")
        defer { work.remove() }
        for program in ["satellite", "ground-control"] {
            let unpacked = try await unpack(program, into: work)
            let unit = try String(contentsOfFile: unpacked + "/lib/systemd/system/\(program).service", encoding: .utf8)
            #expect(
                unit.contains("DynamicUser=yes") && unit.contains("StateDirectory=\(program)")
                    && unit.contains("NoNewPrivileges=yes"))
            let local = work.appending("\(program).service")
            try unit.replacingOccurrences(of: "/usr/local/bin/\(program)", with: unpacked + "/bin/" + program)
                .write(toFile: local, atomically: true, encoding: .utf8)
            let verified = try await run(analyze, ["verify", local])
            #expect(
                verified.status == 0 && !verified.error.contains(program + ".service"),
                "\(program):\n\(verified.output)\(verified.error)")
        }
        // The satellite's opt-in drop-in for runtime configuration verifies with its unit.
        let dropIn = work.appending("satellite.service.d")
        try FileManager.default.createDirectory(atPath: dropIn, withIntermediateDirectories: true)
        let shipped = try String(
            contentsOfFile: try await unpack("satellite", into: work)
                + "/share/harbor-satellite/systemd/satellite.service.d/configure-runtime.conf",
            encoding: .utf8)
        #expect(
            shipped.contains("User=root") && shipped.contains("ReadWritePaths=") && shipped.contains("/etc/containerd"))
        try shipped.write(toFile: dropIn + "/configure-runtime.conf", atomically: true, encoding: .utf8)
        let verified = try await run(analyze, ["verify", work.appending("satellite.service")])
        #expect(
            verified.status == 0 && !verified.error.contains("configure-runtime.conf"),
            "\(verified.output)\(verified.error)")
    }

    @Test(arguments: ["satellite", "ground-control"])
    func imagesAreOCILayoutsThatRun(program: String) async throws {
        let dist = try Self.dist()
        let skopeo = try requireTool("skopeo", package: "skopeo")
        let reference = "oci:\(dist)/images/\(program):\(Self.version)"
        let config =
            try JSONSerialization.jsonObject(
                with: Data(try await runChecked(skopeo, ["inspect", "--config", reference]).utf8)) as? [String: Any]
        let settings = try #require(config?["config"] as? [String: Any])
        #expect(settings["User"] as? String == "65532:65532")
        #expect(settings["Entrypoint"] as? [String] == ["/usr/local/bin/\(program)"])
        let inspected = try await runChecked(skopeo, ["inspect", reference])
        #expect(inspected.contains("\"org.opencontainers.image.version\": \"\(Self.version)\""), "\(inspected)")

        // The image's own filesystem is enough to run the program: unpacked and run under chroot.
        let work = try TemporaryDirectory("image")
        defer { work.remove() }
        let rootfs = work.appending("rootfs")
        try await runChecked(skopeo, ["copy", reference, "dir:\(work.appending("image"))"])
        let manifest =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: work.appending("image/manifest.json")))) as? [String: Any]
        let layers = try #require(manifest?["layers"] as? [[String: Any]])
        try FileManager.default.createDirectory(atPath: rootfs, withIntermediateDirectories: true)
        for layer in layers {
            let digest = try #require(layer["digest"] as? String)
            try await runChecked(
                "/bin/tar", ["-xzf", work.appending("image/" + digest.dropFirst("sha256:".count)), "-C", rootfs])
        }
        // Swift reads its arguments from /proc: a private mount namespace gets one there.
        try FileManager.default.createDirectory(atPath: rootfs + "/proc", withIntermediateDirectories: true)
        let chroot = try requireTool("chroot", package: "coreutils")
        let unshare = try requireTool("unshare", package: "util-linux")
        let ran = try await run(
            unshare,
            [
                "--mount", "--fork", "--pid", "--mount-proc=\(rootfs)/proc",
                chroot, "--userspec=65532:65532", rootfs, "/usr/local/bin/\(program)", "--version",
            ])
        if ran.status == 0 {
            #expect(ran.output.trimmingCharacters(in: .whitespacesAndNewlines) == Self.version)
        } else {
            // No namespaces here: run it with the image's own loader and libraries instead.
            print(
                """
                PackageTests: unshare refused (\(ran.error.split(separator: "\n").last ?? "")); running the \
                \(program) image's program with its own loader and libraries
                """
            )
            let loader = try #require(
                try FileManager.default.contentsOfDirectory(atPath: rootfs + "/lib64").first {
                    $0.hasPrefix("ld-linux")
                })
            let libraries = try FileManager.default.contentsOfDirectory(atPath: rootfs + "/lib").map {
                rootfs + "/lib/" + $0
            }
            let output = try await runChecked(
                rootfs + "/lib64/" + loader,
                [
                    "--library-path", libraries.joined(separator: ":"), rootfs + "/usr/local/bin/\(program)",
                    "--version",
                ])
            #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == Self.version)
        }

        // And by a container engine, where this machine lets one run containers.
        let podman = try requireTool("podman", package: "podman")
        let container = try await run(podman, ["run", "--rm", reference, "--version"], timeout: .seconds(120))
        if container.status == 0 {
            #expect(container.output.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix(Self.version))
        } else {
            let refusal = [
                "setrlimit", "OCI permission denied", "cgroup", "namespace", "newuidmap", "operation not permitted",
            ]
            let refused = refusal.contains { container.error.lowercased().contains($0.lowercased()) }
            #expect(refused, "podman could not run the image:\n\(container.error)")
            if refused {
                print(
                    """
                    PackageTests: podman cannot run containers on this machine \
                    (\(container.error.split(separator: "\n").last ?? "")); the \(program) image ran under chroot \
                    instead
                    """
                )
            }
        }
    }

    @Test func kubernetesManifestsNameThisRelease() throws {
        let directory = Self.root + "/deploy/kubernetes"
        let files = try #require(FileManager.default.subpaths(atPath: directory)).filter {
            $0.hasSuffix(".yaml") && !$0.hasSuffix("kustomization.yaml")
        }.sorted()
        #expect(files.contains("ground-control.yaml") && files.contains("satellite/single/satellite.yaml"))
        #expect(files.contains("satellite/per-node/satellite.yaml"), "\(files)")
        var images: [Substring] = []
        for file in files {
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            for document in try Yams.load_all(yaml: text) {
                let object = try #require(document as? [String: Any], "\(file): a document is not a mapping")
                #expect(object["apiVersion"] is String && object["kind"] is String, "\(file)")
            }
            images += text.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("image:") }
        }
        #expect(!images.isEmpty && images.allSatisfy { $0.hasSuffix(":\(Self.version)") }, "\(images)")
    }
}
