import Foundation
import OCI
import RegistryStore
import TestSupport
import Testing

extension Reliability {
    /// Malformed requests by the thousand against both servers; `FUZZ_SEED` replays a run.
    @Suite("fuzzing")
    struct FuzzTests {
        static var seed: String { ProcessInfo.processInfo.environment["FUZZ_SEED"] ?? "20261126" }

        @Test func theRegistryRefusesMalformedRequestsStoresNothingAndKeepsServing() async throws {
            let python = try requireTool("python3", package: "python3")
            let satellite = try await SatelliteProcess()
            defer { Task { await satellite.cleanUp() } }
            let layer = Data(patternBytes(256 * 1024, seed: 3))
            let config = Data(#"{"architecture":"amd64","os":"linux"}"#.utf8)
            let manifest = try await pushImage(
                layer: layer, config: config, to: satellite.baseURL, repository: "known/app", tag: "v1")
            let blobsBefore = try blobFiles(in: satellite.dataDirectory)
            let catalogBefore = try await httpGet("\(satellite.baseURL)/v2/_catalog").body

            let result = try await run(
                python, ["\(RealClientTests.scripts)/registry-fuzz.py", String(satellite.port), Self.seed, "4000"],
                timeout: .seconds(300))
            #expect(result.status == 0, "\(result.output)\(result.error)")
            print("FuzzTests (registry, seed \(Self.seed)): \(result.output.split(separator: "\n").first ?? "")")

            // Nothing stored, and the server alive and serving what it held.
            #expect(satellite.child.isRunning)
            #expect(try blobFiles(in: satellite.dataDirectory) == blobsBefore)
            #expect(try await httpGet("\(satellite.baseURL)/v2/_catalog").body == catalogBefore)
            let pulled = try await httpGet(
                "\(satellite.baseURL)/v2/known/app/manifests/v1", headers: ["Accept": MediaType.ociManifest])
            #expect(pulled.status == 200 && DigestHasher.digest(of: [UInt8](pulled.body)) == manifest)
            let blob = try await httpGet("\(satellite.baseURL)/v2/known/app/blobs/\(DigestHasher.digest(of: layer))")
            #expect(blob.body == layer)
        }

        /// The agent's registry resolves every name through its upstreams (`?ns=`, qualified paths):
        /// malformed names and hosts get 4xx with the error JSON, and it keeps serving.
        @Test func theAgentsNameResolutionRefusesMalformedRequestsAndKeepsServing() async throws {
            let python = try requireTool("python3", package: "python3")
            // Two upstreams that cannot be reached: the agent serves, its names resolve through them.
            let agent = try await SatelliteAgent(
                state: """
                    schemaVersion: 1
                    generation: 1
                    upstreams:
                      - {name: central, url: "http://127.0.0.1:1"}
                      - {name: hub, url: "https://registry-1.docker.io"}
                    artifacts:
                      - {upstream: central, repository: known/app, tag: v1}
                    peers:
                      - {url: "http://127.0.0.1:1"}
                    site: {name: fuzz, credential: fuzz-site-credential-0123}
                    """)
            defer { agent.terminate() }
            try await agent.waitForStatus("the first sync attempt") { $0.lastSync != nil }
            // A third of the requests go to the peer endpoint (`/_site/v2/…`), with and without the credential.
            let result = try await run(
                python,
                [
                    "\(RealClientTests.scripts)/registry-fuzz.py", String(agent.port), Self.seed, "1500",
                    "--site", "fuzz-site-credential-0123",
                ], timeout: .seconds(300))
            #expect(result.status == 0, "\(result.output)\(result.error)")
            print("FuzzTests (agent registry, seed \(Self.seed)): \(result.output.split(separator: "\n").first ?? "")")
            #expect(agent.child.isRunning)
            #expect(try await httpGet("\(agent.baseURL)/v2/").status == 200)
        }

        /// Pull-through open to every repository of a real upstream: every fuzzed read that misses
        /// goes upstream (names within the rules, `?ns=`, ranges on blobs being fetched); each gets
        /// a 4xx or 2xx, nothing wrong is stored, and it keeps serving.
        @Test func pullThroughRefusesMalformedRequestsAndKeepsServing() async throws {
            let python = try requireTool("python3", package: "python3")
            try await withUpstream { _, images, upstream in
                try await upstream.push(layout: images.layout, name: "first", to: "library/alpine:v1")
                let state = proxyStateYAML(upstream: upstream, repositories: "**", tagTTL: 1)
                let agent = try await SatelliteAgent(
                    state: state, arguments: ["--cache-max-bytes", "64K", "--cache-min-age", "1"])
                defer { agent.terminate() }
                try await agent.waitForStatus("the first sync") { $0.lastSync != nil }
                let result = try await run(
                    python, ["\(RealClientTests.scripts)/registry-fuzz.py", String(agent.port), Self.seed, "1500"],
                    timeout: .seconds(300))
                #expect(result.status == 0, "\(result.output)\(result.error)")
                print(
                    "FuzzTests (pull-through, seed \(Self.seed)): \(result.output.split(separator: "\n").first ?? "")")
                #expect(agent.child.isRunning)
                // What it pulls through after the storm is the upstream's, byte for byte.
                let pulled = try await httpGet(
                    "\(agent.baseURL)/v2/library/alpine/manifests/v1", headers: ["Accept": MediaType.ociManifest])
                #expect(pulled.status == 200 && pulled.headers["docker-content-digest"] == images.first.digest.string)
                for blob in try images.blobs(of: images.first) {
                    let reply = try await httpGet("\(agent.baseURL)/v2/library/alpine/blobs/\(blob.digest)")
                    #expect(DigestHasher.digest(of: [UInt8](reply.body)) == blob.digest)
                }
                // Rows and files agree (a cached tag may lack blobs nobody asked for: not checked).
                let inspection = try StoreInspection.inspect(directory: agent.dataDirectory)
                #expect(
                    (inspection.rowsWithoutFiles + inspection.corruptFiles).isEmpty, "\(inspection.problems.prefix(5))")
            }
        }

        /// schemathesis (PyPI) generates requests from Ground Control's OpenAPI document: no 5xx, and
        /// every response matches the schema.
        @Test func groundControlAnswersEveryGeneratedRequestWithinItsSchema() async throws {
            let python = try requireTool("python3", package: "python3")
            guard try await run(python, ["-c", "import schemathesis"]).status == 0 else {
                throw TestSupportError(
                    """
                    python's schemathesis is not installed: run scripts/test.sh, which installs it (pip install \
                    schemathesis)
                    """
                )
            }
            let work = try TemporaryDirectory("ground-control-fuzz")
            defer { work.remove() }
            let server = try await GroundControlProcess(directory: work, adminToken: "fuzz-admin")
            defer { Task { await server.stop() } }
            // Through python, not the `schemathesis` script: pip may put scripts outside PATH.
            let entry =
                "import sys; from schemathesis.cli import schemathesis; sys.argv[0] = 'schemathesis'; schemathesis()"
            let result = try await run(
                python,
                [
                    "-c", entry, "run", "\(server.baseURL)/openapi.json", "--url", server.baseURL,
                    "--header", "Authorization: Bearer fuzz-admin",
                    "--checks",
                    "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
                    "--max-examples", "30", "--seed", Self.seed, "--no-color",
                ], environment: ["SCHEMATHESIS_HOOKS": ""], timeout: .seconds(600))
            #expect(result.status == 0, "\(result.output.suffix(6000))\(result.error.suffix(2000))")
            let summary = result.output.split(separator: "\n").last { $0.contains("passed") || $0.contains("failed") }
            print("FuzzTests (Ground Control, seed \(Self.seed)): \(summary ?? "")")
            #expect(server.child.isRunning)
        }

        func blobFiles(in dataDirectory: String) throws -> Set<String> {
            var files = Set<String>()
            let root = dataDirectory + "/blobs/sha256"
            for prefix in try FileManager.default.contentsOfDirectory(atPath: root) {
                for name in try FileManager.default.contentsOfDirectory(atPath: root + "/" + prefix) {
                    files.insert(name)
                }
            }
            return files
        }
    }
}
