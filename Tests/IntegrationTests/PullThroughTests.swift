import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import OCI
import TestSupport
import Testing

/// Pull-through: what the rules allow is fetched from the upstream (docker-registry with Basic
/// auth) on first pull, kept, and served from the store after that, the upstream stopped or not;
/// what they do not allow is denied without a request upstream.
@Suite("Pull-through") struct PullThroughTests {
    @Test func skopeoPullsThroughThenFromTheCacheWithTheUpstreamStopped() async throws {
        let skopeo = try requireTool("skopeo", package: "skopeo")
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "library/app:1")
            try await upstream.push(layout: images.layout, name: "other", to: "apps/secret:1")
            try await upstream.push(layout: images.layout, name: "second", to: "apps/pinned:1")
            let state =
                stateYAML(generation: 1, upstream: upstream, artifacts: ["repository: apps/pinned\ntag: \"1\""])
                + "\nproxy:\n  - upstream: central\n    repositories: [\"library/*\"]\n    tagTTL: 1\n"
            let agent = try await SatelliteAgent(state: state)
            defer { agent.terminate() }
            try await agent.waitForStatus("the listed artifact synced") { $0.allSynced && $0.inventory.count == 1 }

            // First pull: fetched from the upstream, by the qualified name and by the plain one.
            let copy = { (reference: String, to: String) in
                _ = try await runChecked(
                    skopeo,
                    [
                        "copy", "--src-tls-verify=false", "docker://\(agent.host)/\(reference)",
                        "oci:\(work.appending(to)):x",
                    ])
            }
            try await copy("central/library/app:1", "first-pull")
            #expect(try await digest(agent, "/v2/central/library/app/manifests/1") == images.first.digest.string)
            #expect(try await digest(agent, "/v2/library/app/manifests/1") == images.first.digest.string)
            let blobGets = { upstream.requestLog.filter { $0.contains("GET /v2/library/app/blobs/") }.count }
            let fetched = blobGets()
            // Each blob the store lacked fetched once; the layer the listed image shares was held.
            let lacked = Set(try images.blobs(of: images.first).map(\.digest)).subtracting(
                try images.blobs(of: images.second).map(\.digest))
            #expect(fetched == lacked.count, "\(upstream.requestLog)")

            // Again: served from the store, no blob asked of the upstream.
            try await copy("library/app:1", "second-pull")
            #expect(blobGets() == fetched)

            // Outside the rules: denied, and nothing asked upstream.
            let asked = upstream.requestLog.count
            let denied = try await httpGet(
                agent.baseURL + "/v2/central/apps/secret/manifests/1", headers: ["Accept": MediaType.ociManifest])
            #expect(denied.status == 403 && String(decoding: denied.body, as: UTF8.self).contains("DENIED"))
            #expect(!upstream.requestLog.dropFirst(asked).contains { $0.contains("apps/secret") })

            // A new state and its sync prune nothing pulled through.
            try agent.writeState(state.replacingOccurrences(of: "generation: 1", with: "generation: 2"))
            try await agent.waitForStatus("the second sync") { $0.lastSync?.generation == 2 }

            // The upstream gone: the tag (past its 1 s TTL) is served as held, blobs from disk.
            await upstream.stop()
            try await Task.sleep(for: .milliseconds(1100))  // past the tag's TTL, so a check is due
            try await copy("library/app:1", "offline-pull")
            #expect(try await digest(agent, "/v2/library/app/manifests/1") == images.first.digest.string)
            #expect(try await digest(agent, "/v2/central/apps/pinned/manifests/1") == images.second.digest.string)

            let counted = try await pullThroughMetrics(agent.baseURL)
            #expect(counted["misses_total", default: 0] >= Double(lacked.count + 1), "\(counted)")
            #expect(
                counted["hits_total", default: 0] > 0 && counted["served_from_cache_bytes_total", default: 0] > 0,
                "\(counted)")
            #expect(counted["denied_total"] == 1 && counted["stale_total", default: 0] >= 1, "\(counted)")
            #expect(counted["upstream_bytes_total", default: 0] > 0, "\(counted)")
        }
    }

    /// The `satellite_pull_through_*` counters, by the rest of their names.
    func pullThroughMetrics(_ baseURL: String) async throws -> [String: Double] {
        let text = String(decoding: try await httpGet(baseURL + "/metrics").body, as: UTF8.self)
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("satellite_pull_through_") {
            let parts = line.dropFirst("satellite_pull_through_".count).split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
        }
        return values
    }

    /// An agent pulling `library/*` through from `upstream` by way of a relay script
    /// (`link-relay.py`, `cutting-relay.py`) in front of the upstream's port.
    func withRelayedProxyAgent(
        _ script: String, _ arguments: [String], upstream: UpstreamRegistry, work: TemporaryDirectory,
        _ body: (SatelliteAgent) async throws -> Void
    ) async throws {
        let python = try requireTool("python3", package: "python3")
        let relay = try ChildProcess(
            python, ["\(RealClientTests.scripts)/\(script)", String(upstream.port)] + arguments, logDirectory: work.path
        )
        defer { relay.signal(SIGKILL) }
        try await poll("the relay to listen") { relay.output.hasPrefix("port ") }
        let relayPort = try require(
            relay.output.split(separator: "\n").first?.split(separator: " ").last.flatMap { Int($0) }, "relay port")
        let state = proxyStateYAML(upstream: upstream, url: "http://127.0.0.1:\(relayPort)")
        let agent = try await SatelliteAgent(state: state)
        defer { agent.terminate() }
        try await agent.waitForStatus("the first sync") { $0.lastSync != nil }
        try await body(agent)
    }

    private func digest(_ agent: SatelliteAgent, _ path: String) async throws -> String? {
        let reply = try await httpGet(agent.baseURL + path, headers: ["Accept": MediaType.ociManifest])
        return reply.status == 200 ? reply.headers["docker-content-digest"] : nil
    }
}

extension PullThroughTests {
    /// Twenty clients asking at once for what is not held yet cause one upstream fetch of each.
    @Test func concurrentFirstPullsShareOneUpstreamFetch() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "big", to: "library/big:1")
            let state = proxyStateYAML(upstream: upstream)
            let agent = try await SatelliteAgent(state: state)
            defer { agent.terminate() }
            try await agent.waitForStatus("the first sync") { $0.lastSync != nil }

            // Twenty connections at once (the shared test client keeps eight per host).
            var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(60), read: .seconds(120)))
            configuration.connectionPool = .init(
                idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            defer { _ = client.shutdown() }
            let get = { @Sendable (path: String, accept: String?) async throws -> (String?, Data) in
                var request = HTTPClientRequest(url: agent.baseURL + path)
                if let accept { request.headers.add(name: "Accept", value: accept) }
                let response = try await client.execute(request, timeout: .seconds(120))
                let body = try await response.body.collect(upTo: 64 * 1024 * 1024)
                return (response.headers.first(name: "docker-content-digest"), Data(buffer: body))
            }
            let manifests = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await get("/v2/library/big/manifests/1", MediaType.ociManifest).0 }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(manifests.allSatisfy { $0 == images.big.digest.string })
            let layer = try #require(try images.blobs(of: images.big).max { $0.size < $1.size })
            let expected = try Data(
                contentsOf: URL(fileURLWithPath: "\(images.layout)/blobs/sha256/\(layer.digest.encoded)"))
            let bodies = try await withThrowingTaskGroup(of: Data.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await get("/v2/library/big/blobs/\(layer.digest)", nil).1 }
                }
                return try await group.reduce(into: [Data]()) { $0.append($1) }
            }
            #expect(bodies.count == 20 && bodies.allSatisfy { $0 == expected })
            let log = upstream.requestLog
            #expect(log.filter { $0.contains("GET /v2/library/big/blobs/\(layer.digest)") }.count == 1, "\(log)")
            #expect(log.filter { $0.contains("GET /v2/library/big/manifests/") }.count == 1, "\(log)")
            // Every request was one of: answered from the store, the one that fetched, or one
            // that joined it.
            let counted = try await pullThroughMetrics(agent.baseURL)
            let answered = ["hits_total", "misses_total", "coalesced_total"].map { counted[$0, default: 0] }.reduce(
                0, +)
            #expect(answered == 40 && counted["misses_total"] == 2, "\(counted)")
            #expect(counted["upstream_bytes_total", default: 0] >= Double(layer.size), "\(counted)")
            _ = work
        }
    }
}

extension PullThroughTests {
    /// podman and containerd pull through the satellite, then from its cache once the upstream
    /// is stopped; the digests are the upstream's.
    @Test func podmanAndContainerdPullThroughThenFromTheCache() async throws {
        let podman = try requireTool("podman", package: "podman")
        let ctr = try requireTool("ctr", package: "containerd")
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "multi", to: "library/multi:1", all: true)
            let state = proxyStateYAML(upstream: upstream)
            let agent = try await SatelliteAgent(state: state)
            defer { agent.terminate() }
            try await agent.waitForStatus("the first sync") { $0.lastSync != nil }
            let reference = "\(agent.host)/central/library/multi:1"
            let podmanPull = { (root: String) in
                let common = [
                    "--root", work.appending(root), "--runroot", work.appending(root + "-run"), "--storage-driver",
                    "vfs",
                ]
                try await runChecked(podman, common + ["pull", "-q", "--tls-verify=false", reference])
                return try await runChecked(
                    podman, common + ["image", "inspect", "--format", "{{.Digest}}", reference]
                )
                .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            #expect(try await podmanPull("podman-1") == images.index.digest.string)

            await upstream.stop()
            #expect(try await podmanPull("podman-2") == images.index.digest.string)
            let containerd = try ContainerdDaemon(
                root: work.appending("containerd"), configFile: work.appending("containerd/config.toml"))
            try await containerd.start()
            defer { containerd.stop() }
            // containerd takes this machine's platform, which podman brought: all from the cache.
            try await runChecked(
                ctr,
                [
                    "--address", containerd.socket, "images", "pull", "--plain-http", "--snapshotter", "native",
                    reference,
                ])
            let listing = try await runChecked(ctr, ["--address", containerd.socket, "images", "ls"])
            #expect(listing.contains(images.index.digest.string), "\(listing)")
        }
    }
}

extension PullThroughTests {
    /// An upstream whose blob bytes do not match their digest: the client never gets the whole
    /// blob, and nothing is stored (docker-registry serves the corrupted file as it is).
    @Test func aBlobWhoseBytesDoNotMatchIsNeitherServedNorStored() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "library/app:1")
            let layer = try require(images.blobs(of: images.first).last)
            let hex = layer.digest.encoded
            let path = "\(upstream.storage)/docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data"
            try Data(repeating: UInt8(ascii: "x"), count: Int(layer.size)).write(to: URL(fileURLWithPath: path))
            let state = proxyStateYAML(upstream: upstream)
            let agent = try await SatelliteAgent(state: state)
            defer { agent.terminate() }
            try await agent.waitForStatus("the first sync") { $0.lastSync != nil }
            let blob = agent.baseURL + "/v2/library/app/blobs/\(layer.digest)"
            // Streamed as it arrives, and cut off before its last byte once the digest fails.
            let answer = try? await httpGet(blob)
            #expect(
                answer == nil || answer?.status == 404 || (answer?.body.count ?? 0) < Int(layer.size),
                "a whole wrong blob was served")
            #expect(try await httpSend("HEAD", blob).status == 404, "nothing stored")
            let files =
                FileManager.default.enumerator(atPath: agent.dataDirectory + "/blobs")?.allObjects.compactMap {
                    $0 as? String
                } ?? []
            #expect(!files.contains { $0.hasSuffix(layer.digest.encoded) }, "\(files)")
            _ = work
        }
    }
}

extension PullThroughTests {
    /// Over a slow link the first client receives a blob's bytes as they arrive, not after the
    /// whole download; a client asking half-way joins the same fetch (what is on disk, then the
    /// rest), and both get exactly the upstream's bytes.
    @Test func aBlobStreamsToItsFirstClientAndAJoinerWhileItArrives() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "big", to: "library/big:1")
            try await withRelayedProxyAgent("link-relay.py", ["--rate", "2000000"], upstream: upstream, work: work) {
                agent in
                let layer = try #require(try images.blobs(of: images.big).max { $0.size < $1.size })
                let expected = try Data(
                    contentsOf: URL(fileURLWithPath: "\(images.layout)/blobs/sha256/\(layer.digest.encoded)"))
                let url = agent.baseURL + "/v2/library/big/blobs/\(layer.digest)"
                let client = HTTPClient(eventLoopGroupProvider: .singleton)
                defer { _ = client.shutdown() }
                let firstBytes = AsyncStream<Int>.makeStream()
                let started = ContinuousClock.now
                async let first: (Data, Duration) = {
                    let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(60))
                    var body = Data()
                    var firstByte: Duration?
                    for try await chunk in response.body {
                        if firstByte == nil { firstByte = ContinuousClock.now - started }
                        body.append(contentsOf: chunk.readableBytesView)
                        firstBytes.continuation.yield(body.count)
                    }
                    firstBytes.continuation.finish()
                    return (body, firstByte ?? .zero)
                }()
                // The joiner starts once the first client holds a quarter of the blob.
                for await received in firstBytes.stream where received >= expected.count / 4 { break }
                let joinedAt = ContinuousClock.now - started
                let joiner = try await httpGet(url)
                let (body, firstByte) = try await first
                let total = ContinuousClock.now - started
                print(
                    """
                    PullThroughTests: \(expected.count) bytes at 2 MB/s: first byte after \(firstByte), joiner at \
                    \(joinedAt), all after \(total)
                    """
                )
                #expect(body == expected)
                #expect(joiner.status == 200 && joiner.body == expected)
                // Download-then-serve would send the first byte at about `total`; streaming sends it
                // once the first 1 MiB batch is on disk.
                #expect(firstByte < total / 2, "the first byte came after \(firstByte) of \(total): not streamed")
                #expect(joinedAt < total * 0.8, "the joiner came too late to test joining")
                let log = upstream.requestLog
                // The first request asks without credentials and is told which to bring (401).
                #expect(
                    log.filter { $0.contains("GET /v2/library/big/blobs/\(layer.digest)") && !$0.contains("\" 401 ") }
                        .count == 1, "\(log)")
            }
        }
    }
}

extension PullThroughTests {
    /// `satellite serve --proxy-upstream`: a registry that takes pushes and pulls through from
    /// one upstream (with Basic auth from a password file), under the upstream's own names.
    @Test func serveWithOneFlagPullsThroughAndStillTakesPushes() async throws {
        let skopeo = try requireTool("skopeo", package: "skopeo")
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "library/app:1")
            try await upstream.push(layout: images.layout, name: "other", to: "private/app:1")
            let passwordFile = work.appending("upstream-password")
            try Data(UpstreamRegistry.password.utf8).write(to: URL(fileURLWithPath: passwordFile))
            let satellite = try await SatelliteProcess(extraArguments: [
                "--proxy-upstream", upstream.url, "--proxy-allow", "library/*", "--proxy-tag-ttl", "1",
                "--proxy-username", UpstreamRegistry.username, "--proxy-password-file", passwordFile,
            ])
            defer { Task { await satellite.cleanUp() } }
            _ = try await runChecked(
                skopeo,
                [
                    "copy", "--src-tls-verify=false", "docker://\(satellite.host)/library/app:1",
                    "oci:\(work.appending("pulled")):x",
                ])
            let reply = try await httpGet(
                satellite.baseURL + "/v2/library/app/manifests/1", headers: ["Accept": MediaType.ociManifest])
            #expect(reply.headers["docker-content-digest"] == images.first.digest.string)
            // The tag moves upstream: served as held within its TTL, moved at the first read after.
            try await upstream.push(layout: images.layout, name: "second", to: "library/app:1")
            let moved = try await httpGet(
                upstream.url + "/v2/library/app/manifests/1",
                headers: [
                    "Accept": MediaType.ociManifest,
                    "Authorization": "Basic " + Data(upstream.credentials.utf8).base64EncodedString(),
                ]
            ).headers["docker-content-digest"]
            try await poll("the moved tag to be served", timeout: .seconds(15)) {
                try await httpGet(
                    satellite.baseURL + "/v2/library/app/manifests/1", headers: ["Accept": MediaType.ociManifest]
                )
                .headers["docker-content-digest"] == moved
            }
            let asked = upstream.requestLog.count
            let denied = try await httpGet(
                satellite.baseURL + "/v2/private/app/manifests/1", headers: ["Accept": MediaType.ociManifest])
            #expect(denied.status == 404, "outside --proxy-allow: the registry's own name, not the upstream's")
            #expect(!upstream.requestLog.dropFirst(asked).contains { $0.contains("private/app") })
            // Pushes go on as in any `satellite serve`.
            _ = try await runChecked(
                skopeo,
                [
                    "copy", "--dest-tls-verify=false", "oci:\(images.layout):second",
                    "docker://\(satellite.host)/mine/app:1",
                ])
            let pushed = try await httpGet(
                satellite.baseURL + "/v2/mine/app/manifests/1", headers: ["Accept": MediaType.ociManifest])
            #expect(pushed.status == 200)
            // The flag's value is checked before anything starts.
            let refused = try await run(
                try productPath("satellite"), ["serve", "--listen", "127.0.0.1:0", "--proxy-upstream", "ftp://nowhere"])
            #expect(refused.status != 0 && refused.error.contains("proxy-upstream"), "\(refused.error)")
        }
    }
}

extension PullThroughTests {
    /// `--cache-max-bytes` below what was pulled through: the least recently pulled image goes
    /// once past `--cache-min-age`; what the state names stays, and a blob response under way
    /// when its blob is deleted still completes with the right bytes.
    @Test func evictionKeepsPinnedContentAndWhatIsBeingServed() async throws {
        let skopeo = try requireTool("skopeo", package: "skopeo")
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "big", to: "library/big:1")
            try await upstream.push(layout: images.layout, name: "first", to: "library/app:1")
            try await upstream.push(layout: images.layout, name: "second", to: "apps/pinned:1")
            let state =
                stateYAML(generation: 1, upstream: upstream, artifacts: ["repository: apps/pinned\ntag: \"1\""])
                + "\nproxy:\n  - upstream: central\n    repositories: [\"library/*\"]\n"
            // A minimum age long enough that big cannot go before the reader below has started and
            // app is pulled, however loaded the machine: a loaded CI run once took 7 s between the
            // two pulls, big went first, and the reader's request pulled its layer through again.
            let agent = try await SatelliteAgent(
                state: state, arguments: ["--cache-max-bytes", "1M", "--cache-min-age", "12"])
            defer { agent.terminate() }
            try await agent.waitForStatus("the pinned image synced") { $0.allSynced && $0.inventory.count == 1 }
            let pull = { (reference: String, to: String) in
                _ = try await runChecked(
                    skopeo,
                    [
                        "copy", "--src-tls-verify=false", "docker://\(agent.host)/\(reference)",
                        "oci:\(work.appending(to)):x",
                    ])
            }
            try await pull("library/big:1", "big")

            // A client starts reading big's largest layer and stops after its first piece.
            let layer = try #require(try images.blobs(of: images.big).max { $0.size < $1.size })
            let expected = try Data(
                contentsOf: URL(fileURLWithPath: "\(images.layout)/blobs/sha256/\(layer.digest.encoded)"))
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            defer { _ = client.shutdown() }
            let response = try await client.execute(
                HTTPClientRequest(url: agent.baseURL + "/v2/library/big/blobs/\(layer.digest)"), timeout: .seconds(60))
            var body = response.body.makeAsyncIterator()
            var received = Data()
            if let piece = try await body.next() { received.append(contentsOf: piece.readableBytesView) }
            // Then app is pulled: the most recent, so big is the least recently pulled.
            try await pull("library/app:1", "app")

            // Past the minimum age since its last request, the older image goes; the newer one fits
            // the budget. Its layer is deleted at once, not after garbage collection's grace.
            let blobFile =
                "\(agent.dataDirectory)/blobs/sha256/\(layer.digest.encoded.prefix(2))/\(layer.digest.encoded)"
            var seen = ""
            do {
                try await poll("big to be evicted", timeout: .seconds(60)) {
                    let catalog = String(
                        decoding: try await httpGet(agent.baseURL + "/v2/_catalog").body, as: UTF8.self)
                    // The counter moves just after the store: polled too.
                    let evictions = try await pullThroughMetrics(agent.baseURL)["evictions_total", default: 0]
                    seen =
                        """
                        catalog \(catalog), layer file present: \
                        \(FileManager.default.fileExists(atPath: blobFile)), evictions \(evictions)
                        """
                    return !catalog.contains("library/big") && !FileManager.default.fileExists(atPath: blobFile)
                        && evictions >= 1
                }
            } catch {
                // Say what was left, should it ever fail again.
                throw TestSupportError(
                    "\(error)\nlast seen: \(seen)\nagent log:\n\(agent.child.errorOutput.suffix(4000))")
            }
            let catalog = String(decoding: try await httpGet(agent.baseURL + "/v2/_catalog").body, as: UTF8.self)
            #expect(catalog.contains("central/library/app") && catalog.contains("central/apps/pinned"), "\(catalog)")

            // The response under way ends whole and right.
            while let piece = try await body.next() { received.append(contentsOf: piece.readableBytesView) }
            #expect(received == expected)

            // The pinned image, which shares a layer with the kept one, is all there.
            for blob in try images.blobs(of: images.second) {
                let reply = try await httpGet(agent.baseURL + "/v2/central/apps/pinned/blobs/\(blob.digest)")
                #expect(reply.status == 200 && DigestHasher.digest(of: [UInt8](reply.body)) == blob.digest)
            }
            // Status tells pulled-through tags from the state's (written at the next sync).
            try agent.writeState(state.replacingOccurrences(of: "generation: 1", with: "generation: 2"))
            try await agent.waitForStatus("the second sync") { $0.lastSync?.generation == 2 }
            let status = try await run(try productPath("satellite"), ["status", "--data-dir", agent.dataDirectory])
            #expect(
                status.output.contains("central/library/app:1  \(images.first.digest)  (pulled through)"),
                "\(status.output)")
            #expect(status.output.contains("central/apps/pinned:1  \(images.second.digest)\n"), "\(status.output)")
        }
    }
}

extension PullThroughTests {
    /// Blobs pulled through a relay that cuts connections mid-blob: the download resumes with
    /// `Range` where it stopped, and the client that asked gets the whole, right blob.
    @Test func aCutDownloadResumesAndTheClientGetsTheWholeBlob() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "big", to: "library/big:1")
            try await withRelayedProxyAgent("cutting-relay.py", ["1500000", "2"], upstream: upstream, work: work) {
                agent in
                for layer in try images.blobs(of: images.big) where layer.size > 1_500_000 {
                    let reply = try await httpGet(agent.baseURL + "/v2/library/big/blobs/\(layer.digest)")
                    #expect(reply.status == 200 && DigestHasher.digest(of: [UInt8](reply.body)) == layer.digest)
                }
                let offsets = agent.child.errorOutput.split(separator: "\n").filter {
                    $0.contains("resuming blob download")
                }
                .compactMap { line in
                    line.split(separator: " ").first { $0.hasPrefix("offset=") }.flatMap {
                        Int64($0.dropFirst("offset=".count))
                    }
                }
                #expect(!offsets.isEmpty && offsets.allSatisfy { $0 > 0 }, "resume offsets \(offsets)")
            }
        }
    }
}
