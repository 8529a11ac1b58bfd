import Foundation
import OCI
import TestSupport
import Testing

extension Reliability {
    /// `satellite serve` on a small tmpfs of its own (a mount namespace made with `unshare`, so
    /// nothing is left mounted if the test dies), filled to the last byte.
    @Suite("disk full")
    struct DiskFullTests {
        /// The satellite's process, serving from `mountPoint` inside its own mount namespace, which
        /// the test reaches through `/proc/PID/root`.
        struct IsolatedSatellite {
            let child: ChildProcess
            let port: Int
            let mountPoint: String

            var baseURL: String { "http://127.0.0.1:\(port)" }
            /// A path inside the satellite's tmpfs, as this process sees it.
            func path(_ relative: String) -> String { "/proc/\(child.pid)/root\(mountPoint)/\(relative)" }
        }

        /// Starts the satellite on a tmpfs of `megabytes`, or returns nil (saying why) when this
        /// kernel refuses mount namespaces. `arguments` follow the program, given the mount point
        /// (default: `serve` of a data directory there, on a free port).
        static func start(
            megabytes: Int, in work: TemporaryDirectory,
            arguments: (String) -> [String] = {
                ["serve", "--data-dir", "\($0)/data", "--listen", "127.0.0.1:0", "--log-level", "error"]
            }
        ) async throws -> IsolatedSatellite? {
            let unshare = try requireTool("unshare", package: "util-linux")
            let satellite = try productPath("satellite")
            let mountPoint = work.appending("tmpfs")
            try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
            let asRoot = getuid() == 0
            let probe = try await run(unshare, (asRoot ? [] : ["--user", "--map-root-user"]) + ["--mount", "true"])
            guard probe.status == 0 else {
                print(
                    """
                    DiskFullTests: NOT RUN — this kernel refuses a mount namespace (unshare: \
                    \(probe.error.trimmingCharacters(in: .whitespacesAndNewlines)))
                    """
                )
                return nil
            }
            let command = arguments(mountPoint).map { "'\($0)'" }.joined(separator: " ")
            let script =
                """
                mount -t tmpfs -o size=\(megabytes)m tmpfs '\(mountPoint)' && exec '\(satellite)' \(command)
                """
            let child = try ChildProcess(
                unshare,
                (asRoot ? [] : ["--user", "--map-root-user"]) + [
                    "--mount", "--propagation", "private", "sh", "-c", script,
                ],
                logDirectory: work.path)
            try await poll("the satellite on tmpfs to listen") {
                guard child.isRunning else { throw TestSupportError("satellite on tmpfs exited: \(child.errorOutput)") }
                return child.output.contains("satellite: serving ")
            }
            let line = try require(
                child.output.split(separator: "\n").first { $0.hasPrefix("satellite: serving ") }, "no serving line")
            let port = try require(
                line.split(separator: " ")[2].split(separator: ":").last.flatMap { Int($0) }, "a port")
            return IsolatedSatellite(child: child, port: port, mountPoint: mountPoint)
        }

        /// Fills what is left of the satellite's tmpfs; returns the filler's path.
        static func fill(_ satellite: IsolatedSatellite) throws -> String {
            let filler = satellite.path("filler")
            _ = FileManager.default.createFile(atPath: filler, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: filler))
            let chunk = Data(count: 1 << 20)
            while (try? handle.write(contentsOf: chunk)) != nil {}
            while (try? handle.write(contentsOf: Data(count: 4096))) != nil {}
            try? handle.close()
            return filler
        }

        @Test func aFullDiskAnswers507KeepsServingLeavesNoDebrisAndRecovers() async throws {
            let work = try TemporaryDirectory("disk-full")
            defer { work.remove() }
            guard let satellite = try await Self.start(megabytes: 24, in: work) else { return }
            defer { Task { await satellite.child.stop() } }

            // An image pushed while there is room.
            let layer = Data(patternBytes(1 << 20, seed: 1))
            let config = Data(#"{"architecture":"amd64","os":"linux"}"#.utf8)
            let manifest = try await pushImage(
                layer: layer, config: config, to: satellite.baseURL, repository: "full/app", tag: "v1")

            let filler = try Self.fill(satellite)

            // Writes: 507 with a message saying the disk is full, never a 500.
            let big = Data(patternBytes(2 << 20, seed: 2))
            let refused = try await httpSend(
                "POST", "\(satellite.baseURL)/v2/full/other/blobs/uploads/?digest=\(DigestHasher.digest(of: big))",
                headers: ["Content-Type": "application/octet-stream"], body: big)
            #expect(refused.status == 507, "\(refused.status) \(String(decoding: refused.body, as: UTF8.self))")
            let message = String(decoding: refused.body, as: UTF8.self)
            #expect(message.contains("\"errors\"") && message.contains("disk is full"), "\(message)")
            var sessions = 0
            for _ in 0..<5 {
                let start = try await httpSend("POST", "\(satellite.baseURL)/v2/full/other/blobs/uploads/")
                #expect(start.status == 507 || start.status == 202, "upload start answered \(start.status)")
                if start.status == 202 { sessions += 1 }
            }
            // No debris: every file under uploads/ belongs to a session that was answered 202.
            let uploads = (try? FileManager.default.contentsOfDirectory(atPath: satellite.path("data/uploads"))) ?? []
            #expect(uploads.count == sessions, "\(uploads.count) upload files for \(sessions) sessions")
            print("DiskFullTests: on a full disk, \(sessions) of 5 upload starts were accepted")

            // Reads go on.
            let pulled = try await httpGet(
                "\(satellite.baseURL)/v2/full/app/manifests/v1", headers: ["Accept": MediaType.ociManifest])
            #expect(pulled.status == 200 && pulled.headers["docker-content-digest"] == manifest.string)
            let blob = try await httpGet("\(satellite.baseURL)/v2/full/app/blobs/\(DigestHasher.digest(of: layer))")
            #expect(blob.status == 200 && blob.body == layer)

            // Space freed: the same push succeeds without a restart.
            try FileManager.default.removeItem(atPath: filler)
            let accepted = try await httpSend(
                "POST", "\(satellite.baseURL)/v2/full/other/blobs/uploads/?digest=\(DigestHasher.digest(of: big))",
                headers: ["Content-Type": "application/octet-stream"], body: big)
            #expect(accepted.status == 201, "\(accepted.status) \(String(decoding: accepted.body, as: UTF8.self))")
            #expect(satellite.child.isRunning)
        }
    }
}
