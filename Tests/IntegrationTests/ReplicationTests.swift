import Foundation
import OCI
import TestSupport
import Testing

/// `satellite run` against a real upstream: Debian's docker-registry with htpasswd Basic auth,
/// filled with skopeo.
@Suite(.serialized) struct ReplicationTests {
    /// Expects every blob of `image` to be served from `base`, hashing to its digest.
    func expectServesWhole(
        _ image: Descriptor, in repository: String, images: TestImages, from base: String
    ) async throws {
        for blob in try images.blobs(of: image) {
            let reply = try await httpGet("\(base)/v2/\(repository)/blobs/\(blob.digest)")
            #expect(DigestHasher.digest(of: [UInt8](reply.body)) == blob.digest)
        }
    }

    /// Starts an agent syncing `apps/big:v1` at 2 MiB/s, one blob at a time, and returns once the
    /// config and a first layer have arrived: the moment to interrupt it.
    func startSlowedAgentAfterFirstLayer(
        _ upstream: UpstreamRegistry, extraArguments: [String] = []
    ) async throws -> SatelliteAgent {
        let agent = try await SatelliteAgent(
            state: stateYAML(generation: 1, upstream: upstream, artifacts: ["repository: apps/big\ntag: v1"]),
            arguments: ["--bandwidth-limit", "2M", "--max-concurrent-blobs", "1"] + extraArguments)
        try await poll("the config and a first layer to arrive", timeout: .seconds(60)) {
            agent.child.errorOutput.components(separatedBy: "blob fetched").count > 2
        }
        return agent
    }

    /// Pushes a small artifact whose subject is `subject` straight through the distribution API.
    func pushReferrer(to upstream: UpstreamRegistry, repository: String, subject: Descriptor) async throws -> Digest {
        let auth = "Basic " + Data(upstream.credentials.utf8).base64EncodedString()
        func pushBlob(_ bytes: Data) async throws -> Digest {
            let digest = DigestHasher.digest(of: [UInt8](bytes))
            let start = try await httpSend(
                "POST", "\(upstream.url)/v2/\(repository)/blobs/uploads/", headers: ["Authorization": auth])
            let location = try require(start.headers["location"], "no upload location")
            let separator = location.contains("?") ? "&" : "?"
            let put = try await httpSend(
                "PUT", "\(location)\(separator)digest=\(digest)",
                headers: ["Authorization": auth, "Content-Type": "application/octet-stream"], body: bytes)
            #expect(put.status == 201)
            return digest
        }
        let config = try await pushBlob(Data("{}".utf8))
        let layer = try await pushBlob(Data("{\"sbom\":true}".utf8))
        let manifest = """
            {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)","artifactType":"application/vnd.example.sbom",\
            "config":{"mediaType":"\(MediaType.ociEmpty)","digest":"\(config)","size":2},\
            "layers":[{"mediaType":"application/json","digest":"\(layer)","size":13}],\
            "subject":{"mediaType":"\(subject.mediaType)","digest":"\(subject.digest)","size":\(subject.size)}}
            """
        let put = try await httpSend(
            "PUT", "\(upstream.url)/v2/\(repository)/manifests/sbom",
            headers: ["Authorization": auth, "Content-Type": MediaType.ociManifest], body: Data(manifest.utf8))
        #expect(put.status == 201, "\(String(decoding: put.body, as: UTF8.self))")
        let digest = DigestHasher.digest(of: Array(manifest.utf8))
        // distribution 2.8 has no referrers API; OCI 1.1 clients then keep an index under the
        // tag `<alg>-<hex>` of the subject, as this does.
        let fallback = """
            {"schemaVersion":2,"mediaType":"\(MediaType.ociIndex)",\
            "manifests":[{"mediaType":"\(MediaType.ociManifest)",\
            "digest":"\(digest)","size":\(manifest.utf8.count),"artifactType":"application/vnd.example.sbom"}]}
            """
        let tagged = try await httpSend(
            "PUT", "\(upstream.url)/v2/\(repository)/manifests/\(subject.digest.tagSchemaForm)",
            headers: ["Authorization": auth, "Content-Type": MediaType.ociIndex], body: Data(fallback.utf8))
        #expect(tagged.status == 201, "\(String(decoding: tagged.body, as: UTF8.self))")
        return digest
    }

    @Test func mirrorsIndexesReferrersAndSharedLayersThenServesOffline() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "multi", to: "apps/multi:v1", all: true)
            try await upstream.push(layout: images.layout, name: "other", to: "apps/other:v1")
            let sbom = try await pushReferrer(to: upstream, repository: "apps/multi", subject: images.amd64)

            let agent = try await SatelliteAgent(
                state: stateYAML(
                    generation: 1, upstream: upstream,
                    artifacts: [
                        "repository: apps/multi\ntag: v1",
                        "repository: apps/other\ndigest: \(images.other.digest)",
                    ]))
            defer { agent.terminate() }
            let status = try await agent.waitForStatus("the first sync") { $0.allSynced }
            #expect(status.digest(of: "central/apps/multi", tag: "v1") == images.index.digest.string)
            // Shared layers are fetched once: index, 2 platform manifests, other, the referrer.
            let sync = try require(status.lastSync)
            let uniqueBlobs = Set(
                try (images.blobs(of: images.amd64) + images.blobs(of: images.arm64) + images.blobs(of: images.other))
                    .map(\.digest))
            #expect(sync.blobsFetched == uniqueBlobs.count + 2)
            #expect(sync.manifestsFetched == 5)

            // Everything is served byte-exact, including the referrer.
            for manifest in [images.index, images.amd64, images.arm64] {
                let reply = try await httpGet("\(agent.baseURL)/v2/apps/multi/manifests/\(manifest.digest)")
                #expect(reply.status == 200)
                #expect(DigestHasher.digest(of: [UInt8](reply.body)) == manifest.digest)
            }
            let referrers = try await httpGet("\(agent.baseURL)/v2/apps/multi/referrers/\(images.amd64.digest)")
            let index = try JSONDecoder().decode(ImageIndex.self, from: referrers.body)
            #expect(index.manifests.map(\.digest) == [sbom])

            // The satellite's registry is read-only.
            let push = try await httpSend("POST", "\(agent.baseURL)/v2/apps/multi/blobs/uploads/")
            #expect(push.status == 405)

            // With the upstream gone, clients still pull everything.
            await upstream.stop()
            let skopeo = try requireTool("skopeo", package: "skopeo")
            try await runChecked(
                skopeo,
                [
                    "copy", "--all", "--preserve-digests", "--src-tls-verify=false",
                    "docker://\(agent.host)/apps/multi:v1", "oci:\(work.appending("out")):multi",
                ])
            try await runChecked(
                skopeo,
                [
                    "copy", "--preserve-digests", "--src-tls-verify=false",
                    "docker://\(agent.host)/apps/other@\(images.other.digest)", "oci:\(work.appending("out")):other",
                ])
            let copied = try String(contentsOfFile: work.appending("out/index.json"), encoding: .utf8)
            #expect(copied.contains(images.index.digest.string))
        }
    }

    @Test func platformsSelectPartOfAnIndex() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "multi", to: "apps/multi:v1", all: true)
            let agent = try await SatelliteAgent(
                state: stateYAML(
                    generation: 1, upstream: upstream,
                    artifacts: [
                        "repository: apps/multi\ntag: v1\nplatforms: [linux/arm64]"
                    ]))
            defer { agent.terminate() }
            try await agent.waitForStatus("the sync") { $0.allSynced }
            // The index is kept byte-exact; only the selected platform's image is held.
            let top = try await httpGet("\(agent.baseURL)/v2/apps/multi/manifests/v1")
            #expect(DigestHasher.digest(of: [UInt8](top.body)) == images.index.digest)
            #expect(try await httpGet("\(agent.baseURL)/v2/apps/multi/manifests/\(images.arm64.digest)").status == 200)
            #expect(try await httpGet("\(agent.baseURL)/v2/apps/multi/manifests/\(images.amd64.digest)").status == 404)
        }
    }

    @Test func followsTagMovesAndDropsRemovedArtifacts() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "apps/app:v1")
            try await upstream.push(layout: images.layout, name: "other", to: "apps/keep:v1")
            let artifacts = ["repository: apps/app\ntag: v1", "repository: apps/keep\ntag: v1"]
            let agent = try await SatelliteAgent(
                state: stateYAML(generation: 1, upstream: upstream, artifacts: artifacts),
                arguments: ["--sync-interval", "1", "--gc-interval", "1", "--gc-grace", "1"])
            defer { agent.terminate() }
            try await agent.waitForStatus("the first sync") {
                $0.digest(of: "central/apps/app", tag: "v1") == images.first.digest.string
            }

            try await upstream.push(layout: images.layout, name: "second", to: "apps/app:v1")
            try await agent.waitForStatus("the tag to follow upstream") {
                $0.digest(of: "central/apps/app", tag: "v1") == images.second.digest.string
            }

            try agent.writeState(stateYAML(generation: 2, upstream: upstream, artifacts: [artifacts[1]]))
            try await agent.waitForStatus("apps/app to be dropped") { status in
                status.lastSync?.generation == 2 && status.digest(of: "central/apps/app", tag: "v1") == nil
                    && status.digest(of: "central/apps/keep", tag: "v1") != nil
            }
            // After the grace period, garbage collection frees what only the dropped image used,
            // and keeps the layer the remaining image shares.
            let unique = try require(images.blobs(of: images.second).last).digest
            let shared = try require(images.blobs(of: images.other).dropFirst().first).digest
            try await poll("the dropped image's own layer to be collected") {
                try await httpGet("\(agent.baseURL)/v2/apps/app/blobs/\(unique)").status == 404
            }
            #expect(try await httpGet("\(agent.baseURL)/v2/apps/keep/blobs/\(shared)").status == 200)
            #expect(try await httpGet("\(agent.baseURL)/v2/apps/keep/manifests/v1").status == 200)
        }
    }

    @Test func waitsForAnUpstreamThatIsDownAndKeepsTheLastGoodState() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "apps/app:v1")
            await upstream.stop()

            let agent = try await SatelliteAgent(
                state: stateYAML(generation: 1, upstream: upstream, artifacts: ["repository: apps/app\ntag: v1"]),
                arguments: ["--upstream-timeout", "2"])
            defer { agent.terminate() }
            let down = try await agent.waitForStatus("a failed sync") { $0.lastSync != nil }
            #expect(down.lastSync?.artifacts.first?.outcome == "missing")
            #expect(down.lastSync?.artifacts.first?.error != nil)

            try await upstream.start()
            try await agent.waitForStatus("the sync after the upstream returns") { $0.allSynced }

            // A broken state file is refused with its line; the last good state stays served.
            try agent.writeState(
                """
                schemaVersion: 1\ngeneration: 2\nupstreams: []\nartifacts:\n  - upstream: central\n    repository: \
                BAD\n    tag: v1\n
                """
            )
            let refused = try await agent.waitForStatus("the bad state to be refused") { $0.stateError != nil }
            #expect(refused.stateError?.contains("state.yaml:6: artifacts[0].repository") == true, "\(refused)")
            await upstream.stop()
            #expect(try await httpGet("\(agent.baseURL)/v2/apps/app/manifests/v1").status == 200)
            #expect(refused.digest(of: "central/apps/app", tag: "v1") == images.first.digest.string)
        }
    }

    @Test func upstreamStoppedMidSyncThenRestarted() async throws {
        try await withUpstream { _, images, upstream in
            try await upstream.push(layout: images.layout, name: "big", to: "apps/big:v1")
            // The upstream goes away while layers are arriving.
            let agent = try await startSlowedAgentAfterFirstLayer(
                upstream, extraArguments: ["--upstream-timeout", "2"])
            defer { agent.terminate() }
            await upstream.stop()
            let failed = try await agent.waitForStatus("the interrupted sync to end") { $0.lastSync != nil }
            #expect(failed.lastSync?.artifacts.first?.outcome == "missing")
            #expect(failed.inventory.isEmpty)

            try await upstream.start()
            try await agent.waitForStatus("the sync to complete after the restart", timeout: .seconds(90)) {
                $0.allSynced
            }
            try await expectServesWhole(images.big, in: "apps/big", images: images, from: agent.baseURL)
        }
    }

    @Test func refusesABlobWhoseBytesDoNotMatchItsDigest() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "apps/app:v1")
            // Corrupt one layer inside the upstream's storage, keeping its size.
            let layer = try require(images.blobs(of: images.first).last)
            let hex = layer.digest.encoded
            let path = "\(upstream.storage)/docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data"
            try Data(repeating: UInt8(ascii: "x"), count: Int(layer.size)).write(to: URL(fileURLWithPath: path))

            let agent = try await SatelliteAgent(
                state: stateYAML(generation: 1, upstream: upstream, artifacts: ["repository: apps/app\ntag: v1"]))
            defer { agent.terminate() }
            let status = try await agent.waitForStatus("the failed sync") { $0.lastSync != nil }
            let artifact = try require(status.lastSync?.artifacts.first)
            #expect(artifact.outcome == "missing")
            #expect(artifact.error?.contains("digest") == true, "\(artifact.error ?? "")")
            #expect(try await httpGet("\(agent.baseURL)/v2/apps/app/blobs/\(layer.digest)").status == 404)
            #expect(try await httpGet("\(agent.baseURL)/v2/apps/app/manifests/v1").status == 404)
        }
    }

    @Test func resumesBlobsAcrossCutConnections() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "big", to: "apps/big:v1")

            let python = try requireTool("python3", package: "python3")
            let limit = 1_500_000, cuts = 3
            let relay = try ChildProcess(
                python,
                ["\(RealClientTests.scripts)/cutting-relay.py", String(upstream.port), String(limit), String(cuts)],
                logDirectory: work.path)
            defer { relay.signal(SIGKILL) }
            try await poll("the relay to listen") { relay.output.hasPrefix("port ") }
            let relayPort = try require(
                relay.output.split(separator: "\n").first?.split(separator: " ").last.flatMap { Int($0) },
                "relay port in '\(relay.output)'")

            let agent = try await SatelliteAgent(
                state: stateYAML(
                    generation: 1, upstream: upstream, url: "http://127.0.0.1:\(relayPort)",
                    artifacts: ["repository: apps/big\ntag: v1"]))
            defer { agent.terminate() }
            try await agent.waitForStatus("the sync through the cutting relay", timeout: .seconds(120)) { $0.allSynced }
            // Each cut download resumed where it stopped, never from byte 0.
            let offsets = agent.child.errorOutput.split(separator: "\n").filter {
                $0.contains("resuming blob download")
            }
            .compactMap { line in
                line.split(separator: " ").first { $0.hasPrefix("offset=") }.flatMap {
                    Int64($0.dropFirst("offset=".count))
                }
            }
            #expect(!offsets.isEmpty && offsets.allSatisfy { $0 > 0 }, "resume offsets \(offsets)")

            relay.signal(SIGTERM)
            try await relay.waitForExit()
            let relayed = try require(
                relay.output.split(separator: "\n").last { $0.hasPrefix("relayed ") }?.split(separator: " ").last
                    .flatMap { Int64($0) },
                "relay count in '\(relay.output)' / '\(relay.errorOutput)' running=\(relay.isRunning)")
            let content = try images.contentSize(of: images.big)
            // Restarting from byte 0 would relay every cut connection's bytes again (content +
            // cuts × limit); resuming loses only what was still on its way to the satellite, which
            // grows when the machine is busy, so that is the bound.
            #expect(relayed < content + Int64(cuts * limit), "relayed \(relayed) bytes for \(content) bytes of content")
            try await expectServesWhole(images.big, in: "apps/big", images: images, from: agent.baseURL)
        }
    }

    @Test func completesAfterKillNineMidSync() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "big", to: "apps/big:v1")
            // The kill lands while layers are arriving.
            let started = ContinuousClock.now
            let first = try await startSlowedAgentAfterFirstLayer(upstream)
            // The bandwidth cap holds: a 4 MiB layer at 2 MiB/s (one second's burst) takes over a second.
            #expect(ContinuousClock.now - started > .seconds(1))
            first.child.signal(SIGKILL)
            _ = try await first.child.waitForExit()

            let second = try await SatelliteAgent(state: nil, directory: first.directory)
            defer { second.terminate() }
            try await second.waitForStatus("the sync after the restart") { $0.allSynced }
            try await expectServesWhole(images.big, in: "apps/big", images: images, from: second.baseURL)
        }
    }
}
