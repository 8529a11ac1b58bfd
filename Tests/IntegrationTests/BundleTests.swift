import FleetAPI
import Foundation
import OCI
import SatelliteProtocol
import TestSupport
import Testing

/// Bundles: Ground Control writes a satellite's signed state and content from a docker-registry
/// upstream into one tar; `satellite import` applies it with no network, all or nothing.
@Suite struct BundleTests {
    static let tamper = "\(RealClientTests.scripts)/bundle-tamper.py"

    @discardableResult static func damage(_ bundle: String, _ what: String) async throws -> String {
        try await runChecked(try requireTool("python3", package: "python3"), [tamper, bundle, what])
    }

    /// Blob files in a data directory: what an import wrote.
    static func blobFiles(_ dataDirectory: String) -> Int {
        let enumerator = FileManager.default.enumerator(atPath: dataDirectory + "/blobs")
        var count = 0
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: dataDirectory + "/blobs/" + path, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                count += 1
            }
        }
        return count
    }

    static func importBundle(
        _ bundle: String, into dataDirectory: String, key: String?
    ) async throws -> (status: Int32, output: String, error: String) {
        try await run(
            try productPath("satellite"),
            ["import", bundle, "--data-dir", dataDirectory] + (key.map { ["--state-public-key", $0] } ?? []))
    }

    /// The manifest digest a satellite serves for `repository:tag`.
    static func served(_ agent: SatelliteAgent, _ repository: String, _ tag: String) async throws -> String? {
        let reply = try await httpGet(
            "\(agent.baseURL)/v2/\(repository)/manifests/\(tag)",
            headers: [
                "Accept": [MediaType.ociManifest, MediaType.ociIndex, MediaType.dockerManifest].joined(separator: ", ")
            ])
        return reply.status == 200 ? reply.headers["docker-content-digest"] : nil
    }

    @Test func aBundleFeedsASatelliteWithNoNetworkAndADeltaBuildsOnIt() async throws {
        try await withUpstream { work, images, upstream in
            let creds = "\(UpstreamRegistry.username):\(UpstreamRegistry.password)"
            try await SignaturePolicyTests.cosign(["keygen", "ecdsa", work.appending("trusted")])
            try await upstream.push(layout: images.layout, name: "first", to: "apps/signed:v1")
            try await upstream.push(layout: images.layout, name: "second", to: "apps/later:v1")
            try await upstream.push(layout: images.layout, name: "other", to: "apps/unsigned:v1")
            try await SignaturePolicyTests.cosign([
                "push-simple", upstream.url, "apps/signed", images.first.digest.string, work.appending("trusted.key"),
                creds,
            ])
            try await SignaturePolicyTests.cosign([
                "push-simple", upstream.url, "apps/later", images.second.digest.string, work.appending("trusted.key"),
                creds,
            ])

            let server = try await GroundControlProcess(directory: work, adminToken: "admin")
            defer { Task { await server.stop() } }
            try Data(UpstreamRegistry.password.utf8).write(to: URL(fileURLWithPath: work.appending("password")))
            try await satctl(
                server, token: "admin",
                [
                    "registries", "put", "central", "--registry-url", upstream.url,
                    "--username", UpstreamRegistry.username, "--password-file", work.appending("password"),
                ])
            let group = [
                "groups", "put", "edge", "--registry", "central", "--verify-key", work.appending("trusted.pub"),
            ]
            try await satctl(server, token: "admin", group + ["--artifact", "apps/signed:v1"])
            try await satctl(server, token: "admin", ["satellites", "create", "edge-01", "--group", "edge"])
            let gcKey = try await server.savePublicKey(to: work.appending("gc.pub"))

            func bundle(_ file: String, since: Int64? = nil) async throws -> Int64 {
                let output = try await satctl(
                    server, token: "admin",
                    ["satellites", "bundle", "edge-01", "-o", work.appending(file)]
                        + (since.map { ["--since", String($0)] } ?? []))
                let generation = output.components(separatedBy: "generation ").dropFirst().first?.prefix { $0.isNumber }
                return try #require(generation.flatMap { Int64($0) }, "\(output)")
            }
            let first = try await bundle("full.tar")
            try await satctl(
                server, token: "admin", group + ["--artifact", "apps/signed:v1", "--artifact", "apps/later:v1"])
            let second = try await bundle("delta.tar", since: first)
            #expect(second > first)
            try await satctl(
                server, token: "admin", group + ["--artifact", "apps/signed:v1", "--artifact", "apps/unsigned:v1"])
            _ = try await bundle("unsigned.tar")
            // A delta on a bundle Ground Control never made is refused before any byte.
            await #expect(throws: (any Error).self) { _ = try await bundle("nothing.tar", since: 999_999) }
            #expect(!FileManager.default.fileExists(atPath: work.appending("nothing.tar")))
            let fullSize = try #require(
                try FileManager.default.attributesOfItem(atPath: work.appending("full.tar"))[.size] as? Int)
            let deltaSize = try #require(
                try FileManager.default.attributesOfItem(atPath: work.appending("delta.tar"))[.size] as? Int)
            print(
                """
                BundleTests: full bundle \(fullSize) bytes (generation \(first)); delta \(deltaSize) bytes \
                (generation \(second))
                """
            )
            // The bundle's state carries no registry credentials.
            let carried = try await Self.damage(work.appending("full.tar"), "show-state")
            #expect(!carried.contains(UpstreamRegistry.password) && carried.contains("apps/signed"), "\(carried)")

            // From here on there is no network: Ground Control and the upstream are gone.
            await server.stop()
            await upstream.stop()

            // Other tools read the bundle's images: it is an OCI image layout.
            let skopeo = try requireTool("skopeo", package: "skopeo")
            try await runChecked(
                skopeo,
                [
                    "copy", "--preserve-digests", "oci-archive:\(work.appending("full.tar")):central/apps/signed:v1",
                    "oci:\(work.appending("copied")):x",
                ])
            let copied = try String(contentsOfFile: work.appending("copied/index.json"), encoding: .utf8)
            #expect(copied.contains(images.first.digest.string), "\(copied)")

            // Imported, a satellite that never registered serves every image with its digest.
            let site = try TemporaryDirectory("bundle-site")
            let data = site.appending("data")
            let imported = try await Self.importBundle(work.appending("full.tar"), into: data, key: gcKey)
            #expect(imported.status == 0 && imported.output.contains("imported generation \(first)"), "\(imported)")
            let stateFile = data + "/imported-state.json"
            var agent = try await SatelliteAgent(
                state: nil, directory: site, source: ["--state-file", stateFile, "--state-public-key", gcKey])
            try await agent.waitForStatus("the imported state in line") {
                $0.lastSync?.generation == first && $0.allSynced
            }
            #expect(try await Self.served(agent, "central/apps/signed", "v1") == images.first.digest.string)
            #expect(
                try await Self.served(agent, "central/apps/signed", images.first.digest.tagSchemaForm + ".sig") != nil,
                "the signature came along")
            // The store is in use: an import waits for the satellite to stop.
            let busy = try await Self.importBundle(work.appending("delta.tar"), into: data, key: gcKey)
            #expect(busy.status != 0 && busy.error.contains("in use"), "\(busy)")
            await agent.child.stop()

            // A delta needs its base: refused on an empty satellite, with nothing written.
            let empty = try TemporaryDirectory("bundle-empty")
            defer { empty.remove() }
            let orphan = try await Self.importBundle(work.appending("delta.tar"), into: empty.path, key: gcKey)
            #expect(orphan.status != 0 && orphan.error.contains("delta bundle needs"), "\(orphan)")
            #expect(Self.blobFiles(empty.path) == 0)
            // On its base it applies.
            let delta = try await Self.importBundle(work.appending("delta.tar"), into: data, key: gcKey)
            #expect(delta.status == 0 && delta.output.contains("imported generation \(second)"), "\(delta)")
            // An older generation would take the satellite back.
            let older = try await Self.importBundle(work.appending("full.tar"), into: data, key: gcKey)
            #expect(older.status != 0 && older.error.contains("older"), "\(older)")

            // A flipped byte, a forged state, an image the policy refuses: nothing is committed.
            for (name, damage, says) in [("flipped", "blob", "damaged"), ("forged", "state", "not signed")] {
                try FileManager.default.copyItem(
                    atPath: work.appending("full.tar"), toPath: work.appending("\(name).tar"))
                try await Self.damage(work.appending("\(name).tar"), damage)
                let refused = try await Self.importBundle(work.appending("\(name).tar"), into: empty.path, key: gcKey)
                #expect(refused.status != 0 && refused.error.contains(says), "\(name): \(refused)")
                #expect(Self.blobFiles(empty.path) == 0, "\(name)")
            }
            let unsigned = try await Self.importBundle(work.appending("unsigned.tar"), into: empty.path, key: gcKey)
            #expect(
                unsigned.status != 0 && unsigned.error.contains("not signed")
                    && unsigned.error.contains("apps/unsigned"), "\(unsigned)")
            #expect(Self.blobFiles(empty.path) == 0)
            #expect((try? String(contentsOfFile: empty.appending("status.json"), encoding: .utf8)) == nil)

            // The satellite, restarted, serves the delta's image too; then exports what it holds
            // for another site, which imports it.
            agent = try await SatelliteAgent(
                state: nil, directory: site, source: ["--state-file", stateFile, "--state-public-key", gcKey])
            defer { agent.terminate() }
            try await agent.waitForStatus("the delta in line") { $0.lastSync?.generation == second && $0.allSynced }
            #expect(try await Self.served(agent, "central/apps/later", "v1") == images.second.digest.string)
            try await runChecked(
                try productPath("satellite"), ["export", "--data-dir", data, "-o", work.appending("exported.tar")])
            let other = try TemporaryDirectory("bundle-other")
            defer { other.remove() }
            let again = try await Self.importBundle(
                work.appending("exported.tar"), into: other.appending("data"), key: gcKey)
            #expect(again.status == 0 && again.output.contains("imported generation \(second)"), "\(again)")
            let otherAgent = try await SatelliteAgent(
                state: nil, directory: other,
                source: ["--state-file", other.appending("data/imported-state.json"), "--state-public-key", gcKey])
            defer { otherAgent.child.signal(SIGKILL) }
            try await otherAgent.waitForStatus("the exported state in line") {
                $0.lastSync?.generation == second && $0.allSynced
            }
            #expect(try await Self.served(otherAgent, "central/apps/later", "v1") == images.second.digest.string)
            #expect(try await Self.served(otherAgent, "central/apps/signed", "v1") == images.first.digest.string)
        }
    }
}

extension BundleTests {
    /// A registered satellite cut off from its upstream takes a bundle with the key it got at
    /// registration; once it reaches Ground Control again its heartbeat reports the bundle's
    /// generation, and it asks for the whole state, whose registry credentials the bundle left out.
    @Test func aRegisteredSatelliteReportsTheImportedGenerationWhenItIsBackInReach() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "library/app:1")
            try await upstream.push(layout: images.layout, name: "second", to: "library/app:2")
            let server = try await GroundControlProcess(directory: work, adminToken: "admin")
            defer { Task { await server.stop() } }
            let token = try await defineFleet(
                server, upstream: upstream, work: work, artifacts: ["library/app:1"],
                satelliteOptions: ["--heartbeat-interval", "1"])
            let site = try TemporaryDirectory("bundle-registered")
            var agent = try await SatelliteAgent(
                state: nil, directory: site, source: ["--ground-control", server.baseURL, "--token", token])
            try await agent.waitForStatus("the first sync") { $0.allSynced && $0.inventory.count == 1 }
            await agent.child.stop()

            // Offline, the satellite is sent a bundle with a second image.
            try await satctl(
                server, token: "admin",
                [
                    "groups", "put", "edge", "--registry", "central", "--artifact", "library/app:1", "--artifact",
                    "library/app:2",
                ])
            let made = try await satctl(
                server, token: "admin", ["satellites", "bundle", "edge-01", "-o", work.appending("b.tar")])
            let generation = try #require(
                made.components(separatedBy: "generation ").dropFirst().first.flatMap {
                    Int64($0.prefix { $0.isNumber })
                })
            await upstream.stop()
            let imported = try await Self.importBundle(work.appending("b.tar"), into: agent.dataDirectory, key: nil)
            #expect(imported.status == 0, "\(imported)")
            #expect(FileManager.default.fileExists(atPath: agent.dataDirectory + "/ground-control-state.from-bundle"))

            agent = try await SatelliteAgent(state: nil, directory: site, source: ["--ground-control", server.baseURL])
            defer { agent.terminate() }
            try await agent.waitForStatus("the bundle's state in line with no upstream") {
                $0.lastSync?.generation == generation && $0.allSynced
            }
            let view = try await pollFor("Ground Control to see the imported generation") { () -> SatelliteView? in
                let view = try APIJSON.decoder().decode(
                    SatelliteView.self,
                    from: try await httpGet(
                        "\(server.baseURL)/api/v1/satellites/edge-01", headers: ["Authorization": "Bearer admin"]
                    ).body)
                return view.appliedGeneration == generation ? view : nil
            }
            #expect(view.drift.missing.isEmpty, "\(view)")
            // The whole state, credentials included, replaced the bundle's.
            try await poll("the full state to replace the bundle's") {
                !FileManager.default.fileExists(atPath: agent.dataDirectory + "/ground-control-state.from-bundle")
            }
            #expect(try await Self.served(agent, "central/library/app", "2") == images.second.digest.string)
        }
    }
}

extension BundleTests {
    /// Issue 25.5 and 25.9: a bundle is bound to the satellite it was made for, and an import
    /// keeps only what its signed manifests name.
    @Test func aBundleIsForItsOwnSatelliteAndBringsOnlyWhatItsManifestsName() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "library/app:1")
            try await upstream.push(layout: images.layout, name: "second", to: "private/app:1")
            let server = try await GroundControlProcess(directory: work, adminToken: "admin")
            defer { Task { await server.stop() } }
            let token = try await defineFleet(
                server, upstream: upstream, work: work, artifacts: ["library/app:1"],
                satelliteOptions: ["--heartbeat-interval", "1"])
            try await satctl(
                server, token: "admin",
                ["groups", "put", "private", "--registry", "central", "--artifact", "private/app:1"])
            try await satctl(server, token: "admin", ["satellites", "create", "edge-02", "--group", "private"])
            let site = try TemporaryDirectory("bundle-bound")
            let agent = try await SatelliteAgent(
                state: nil, directory: site, source: ["--ground-control", server.baseURL, "--token", token])
            try await agent.waitForStatus("the first sync") { $0.allSynced && $0.inventory.count == 1 }
            await agent.child.stop()
            let saved = try Data(contentsOf: URL(fileURLWithPath: agent.dataDirectory + "/ground-control-state.signed"))
            let blobsBefore = Self.blobFiles(agent.dataDirectory)

            // sat2's bundle, signed by the same Ground Control, taken to sat1's directory.
            try await satctl(
                server, token: "admin", ["satellites", "bundle", "edge-02", "-o", work.appending("other.tar")])
            let refused = try await Self.importBundle(work.appending("other.tar"), into: agent.dataDirectory, key: nil)
            #expect(
                refused.status != 0 && refused.error.contains("edge-02") && refused.error.contains("edge-01"),
                "\(refused)")
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: agent.dataDirectory + "/ground-control-state.signed"))
                    == saved)
            #expect(
                Self.blobFiles(agent.dataDirectory) == blobsBefore, "nothing of the other satellite's content stays")

            // Its own bundle with a blob no manifest names: applied, the stray blob not kept.
            try await satctl(
                server, token: "admin", ["satellites", "bundle", "edge-01", "-o", work.appending("own.tar")])
            let stray = try await Self.damage(work.appending("own.tar"), "extra-blob").trimmingCharacters(
                in: .whitespacesAndNewlines)
            let digest = try Digest(stray)
            let imported = try await Self.importBundle(work.appending("own.tar"), into: agent.dataDirectory, key: nil)
            #expect(imported.status == 0, "\(imported)")
            #expect(
                !FileManager.default.fileExists(
                    atPath: "\(agent.dataDirectory)/blobs/sha256/\(digest.encoded.prefix(2))/\(digest.encoded)"))
            #expect(Self.blobFiles(agent.dataDirectory) == blobsBefore)
        }
    }
}
