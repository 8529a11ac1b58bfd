import Foundation
import OCI
import TestSupport
import Testing

/// Real clients against a running `satellite serve`: skopeo, podman, containerd's ctr, python
/// oras and curl. Each starts on 127.0.0.1 with a free port and temporary directories.
@Suite(.serialized) struct RealClientTests {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "../../scripts/testing"
    ).standardized.path

    func withSatellite(_ body: (SatelliteProcess, TemporaryDirectory) async throws -> Void) async throws {
        let satellite = try await SatelliteProcess()
        let work = try TemporaryDirectory("clients")
        do {
            try await body(satellite, work)
        } catch {
            await satellite.cleanUp()
            work.remove()
            throw error
        }
        await satellite.cleanUp()
        work.remove()
    }

    func singleImageLayout(_ path: String) throws -> Descriptor {
        var layout = try OCILayoutBuilder(path: path)
        let image = try layout.image(
            architecture: "amd64", layers: [["hello.txt": "hello from the edge\n"], ["etc/motd": "layer two\n"]])
        try layout.tag(image, as: "v1")
        return image
    }

    /// Builds the single-image layout and copies it into the satellite as `repository:v1`.
    func pushSingleImage(
        _ satellite: SatelliteProcess, _ work: TemporaryDirectory, as repository: String
    ) async throws -> Descriptor {
        let skopeo = try requireTool("skopeo", package: "skopeo")
        let image = try singleImageLayout(work.appending("layout"))
        try await runChecked(
            skopeo,
            [
                "copy", "--preserve-digests", "--dest-tls-verify=false", "oci:\(work.appending("layout")):v1",
                "docker://\(satellite.host)/\(repository):v1",
            ])
        return image
    }

    @Test func skopeoCopiesAnImageInAndOutByteExact() async throws {
        let skopeo = try requireTool("skopeo", package: "skopeo")
        try await withSatellite { satellite, work in
            let image = try singleImageLayout(work.appending("layout"))
            try await runChecked(
                skopeo,
                [
                    "copy", "--preserve-digests", "--dest-tls-verify=false",
                    "oci:\(work.appending("layout")):v1", "docker://\(satellite.host)/edge/hello:v1",
                ])
            let raw = try await runChecked(
                skopeo, ["inspect", "--raw", "--tls-verify=false", "docker://\(satellite.host)/edge/hello:v1"])
            #expect(DigestHasher.digest(of: Array(raw.utf8)) == image.digest)

            try await runChecked(
                skopeo,
                [
                    "copy", "--preserve-digests", "--src-tls-verify=false",
                    "docker://\(satellite.host)/edge/hello:v1", "oci:\(work.appending("out")):v1",
                ])
            let index = try String(contentsOfFile: work.appending("out/index.json"), encoding: .utf8)
            #expect(index.contains(image.digest.string))
        }
    }

    @Test func skopeoCopiesAMultiPlatformIndexWithAll() async throws {
        let skopeo = try requireTool("skopeo", package: "skopeo")
        try await withSatellite { satellite, work in
            var layout = try OCILayoutBuilder(path: work.appending("layout"))
            let amd64 = try layout.image(
                architecture: "amd64", layers: [["arch": "amd64\n"], ["shared": "same bytes\n"]])
            let arm64 = try layout.image(
                architecture: "arm64", layers: [["arch": "arm64\n"], ["shared": "same bytes\n"]])
            let index = try layout.index([amd64, arm64])
            try layout.tag(index, as: "multi")

            try await runChecked(
                skopeo,
                [
                    "copy", "--all", "--preserve-digests", "--dest-tls-verify=false",
                    "oci:\(work.appending("layout")):multi", "docker://\(satellite.host)/edge/multi:v1",
                ])
            let top = try await httpGet("\(satellite.baseURL)/v2/edge/multi/manifests/v1")
            #expect(top.status == 200)
            #expect(top.headers["content-type"] == MediaType.ociIndex)
            #expect(top.headers["docker-content-digest"] == index.digest.string)
            #expect(DigestHasher.digest(of: [UInt8](top.body)) == index.digest)
            for platform in [amd64, arm64] {
                let child = try await httpGet("\(satellite.baseURL)/v2/edge/multi/manifests/\(platform.digest)")
                #expect(child.status == 200)
                #expect(DigestHasher.digest(of: [UInt8](child.body)) == platform.digest)
            }

            try await runChecked(
                skopeo,
                [
                    "copy", "--all", "--preserve-digests", "--src-tls-verify=false",
                    "docker://\(satellite.host)/edge/multi:v1", "oci:\(work.appending("out")):multi",
                ])
            let copied = try String(contentsOfFile: work.appending("out/index.json"), encoding: .utf8)
            #expect(copied.contains(index.digest.string))
            for platform in [amd64, arm64] {
                #expect(
                    FileManager.default.fileExists(
                        atPath: work.appending("out/blobs/sha256/\(platform.digest.encoded)")))
            }
        }
    }

    @Test func podmanPullsWithVFSStorage() async throws {
        let podman = try requireTool("podman", package: "podman")
        try await withSatellite { satellite, work in
            let image = try await pushSingleImage(satellite, work, as: "edge/podman")
            let common = [
                "--root", work.appending("podman-root"), "--runroot", work.appending("podman-run"),
                "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file",
            ]
            try await runChecked(podman, common + ["pull", "--tls-verify=false", "\(satellite.host)/edge/podman:v1"])
            let digest = try await runChecked(
                podman, common + ["image", "inspect", "--format", "{{.Digest}}", "\(satellite.host)/edge/podman:v1"])
            #expect(digest.trimmingCharacters(in: .whitespacesAndNewlines) == image.digest.string)
        }
    }

    @Test func containerdPullsWithCtr() async throws {
        let ctr = try requireTool("ctr", package: "containerd")
        try await withSatellite { satellite, work in
            let image = try await pushSingleImage(satellite, work, as: "edge/containerd")
            let daemon = try ContainerdDaemon(
                root: work.appending("containerd"), configFile: work.appending("containerd/config.toml"))
            try await daemon.start()
            defer { daemon.stop() }
            try await runChecked(
                ctr,
                [
                    "--address", daemon.socket, "images", "pull", "--plain-http", "--snapshotter", "native",
                    "\(satellite.host)/edge/containerd:v1",
                ])
            let listing = try await runChecked(ctr, ["--address", daemon.socket, "images", "ls"])
            #expect(listing.contains(image.digest.string))
        }
    }

    @Test func orasPushesAnArtifactWithASubject() async throws {
        let python = try requireTool("python3", package: "python3")
        try await withSatellite { satellite, work in
            let image = try await pushSingleImage(satellite, work, as: "edge/oras")
            let sbom = work.appending("sbom.json")
            try Data("{\"packages\":[]}".utf8).write(to: URL(fileURLWithPath: sbom))
            let output = try await runChecked(
                python,
                [
                    "\(Self.scripts)/oras-push-referrer.py", satellite.host, "edge/oras",
                    image.digest.string, String(image.size), sbom,
                ])
            struct Reply: Decodable { let subjectHeader: String?; let referrers: ImageIndex }
            let reply = try JSONDecoder().decode(Reply.self, from: Data(output.utf8))
            #expect(reply.subjectHeader == image.digest.string)
            #expect(reply.referrers.manifests.count == 1)
            #expect(reply.referrers.manifests.first?.annotations?["org.example.kind"] == "sbom")
        }
    }

    @Test func curlStreamsAChunkedUpload() async throws {
        let curl = try requireTool("curl", package: "curl")
        try await withSatellite { satellite, work in
            let bytes = patternBytes(5 * 1024 * 1024 + 17, seed: 42)
            let digest = DigestHasher.digest(of: bytes)
            let file = work.appending("blob")
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            let start = try await runChecked(
                curl,
                [
                    "-sf", "-D", "-", "-o", "/dev/null", "-X", "POST",
                    "\(satellite.baseURL)/v2/edge/chunked/blobs/uploads/",
                ])
            let location = try require(
                start.split(separator: "\r\n").first { $0.lowercased().hasPrefix("location:") }?
                    .split(separator: " ", maxSplits: 1).last.map(String.init), "no Location")
            // curl sends the body with Transfer-Encoding: chunked when told so.
            try await runChecked(
                curl,
                [
                    "-sf", "-X", "PATCH", "-H", "Transfer-Encoding: chunked", "-H",
                    "Content-Type: application/octet-stream",
                    "--data-binary", "@\(file)", "\(satellite.baseURL)\(location)",
                ])
            try await runChecked(curl, ["-sf", "-X", "PUT", "\(satellite.baseURL)\(location)?digest=\(digest)"])
            let head = try await runChecked(
                curl, ["-sf", "-I", "\(satellite.baseURL)/v2/edge/chunked/blobs/\(digest)"])
            #expect(head.lowercased().contains("content-length: \(bytes.count)"))
        }
    }

    @Test func servesTLS() async throws {
        let openssl = try requireTool("openssl", package: "openssl")
        let skopeo = try requireTool("skopeo", package: "skopeo")
        // The client's cert dir holds only the CA; the server's key lives apart.
        let certificates = try TemporaryDirectory("tls")
        let serverKey = try TemporaryDirectory("tls-key")
        defer { certificates.remove(); serverKey.remove() }
        try await runChecked(
            openssl,
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", serverKey.appending("tls.key"), "-out", certificates.appending("ca.crt"),
            ])
        let satellite = try await SatelliteProcess(extraArguments: [
            "--tls-cert", certificates.appending("ca.crt"), "--tls-key", serverKey.appending("tls.key"),
        ])
        defer { Task { await satellite.cleanUp() } }
        #expect(satellite.scheme == "https")
        let work = try TemporaryDirectory("tls-client")
        defer { work.remove() }
        _ = try singleImageLayout(work.appending("layout"))
        // Verified TLS: skopeo trusts only the test's certificate.
        try await runChecked(
            skopeo,
            [
                "copy", "--preserve-digests", "--dest-cert-dir", certificates.path,
                "oci:\(work.appending("layout")):v1",
                "docker://\(satellite.host)/edge/tls:v1",
            ])
        try await runChecked(
            skopeo, ["inspect", "--raw", "--cert-dir", certificates.path, "docker://\(satellite.host)/edge/tls:v1"])

        // A blob of several chunks out through TLS: blob bodies are written into the channel
        // below the HTTP codec, so they pass through the TLS handler and its backpressure.
        let curl = try requireTool("curl", package: "curl")
        let bytes = patternBytes(3 * 1024 * 1024 + 11, seed: 5)
        let digest = DigestHasher.digest(of: bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: work.appending("blob")))
        let tls = ["-sf", "--cacert", certificates.appending("ca.crt")]
        try await runChecked(
            curl,
            tls + [
                "-X", "POST", "-H", "Content-Type: application/octet-stream", "--data-binary",
                "@\(work.appending("blob"))",
                "\(satellite.baseURL)/v2/edge/tls/blobs/uploads/?digest=\(digest)",
            ])
        try await runChecked(
            curl, tls + ["-o", work.appending("pulled"), "\(satellite.baseURL)/v2/edge/tls/blobs/\(digest)"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: work.appending("pulled"))) == Data(bytes))
        await satellite.cleanUp()
    }

    @Test func shutsDownGracefullyOnSIGTERM() async throws {
        let satellite = try await SatelliteProcess()
        let status = try await satellite.stop()
        #expect(status == 0, "stderr: \(satellite.child.errorOutput)")
        await satellite.cleanUp()
    }
}
