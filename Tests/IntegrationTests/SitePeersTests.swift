import Foundation
import OCI
import TestSupport
import Testing

/// Satellites of one site sharing what they hold: each blob crosses the WAN once, a peer's
/// failure or wrong bytes cost nothing but time, and a site cut off from everything still fills a
/// new satellite. Real satellites (`satellite run`) and a real upstream (docker-registry).
@Suite(.serialized) struct SitePeersTests {
    static let credential = "hamburg-site-credential-0123456789"

    /// Two images of eight and four 1 MiB layers (tar, uncompressed), sharing none.
    struct SiteImages {
        let layout: String
        let app: Descriptor
        let tools: Descriptor
        let blobs: [Descriptor]

        init(in work: TemporaryDirectory) throws {
            layout = work.appending("site-layout")
            var builder = try OCILayoutBuilder(path: layout)
            let layer = { (seed: UInt64) in ["data": Data(patternBytes(768 * 1024, seed: seed)).base64EncodedString()] }
            app = try builder.image(architecture: "amd64", layers: (1...8).map { layer(100 + $0) })
            tools = try builder.image(architecture: "amd64", layers: (1...4).map { layer(200 + $0) })
            try builder.tag(app, as: "app")
            try builder.tag(tools, as: "tools")
            blobs = try TestImages.blobs(of: [app, tools], in: layout)
        }

        var blobBytes: Int64 { blobs.reduce(0) { $0 + $1.size } }

        func push(to upstream: UpstreamRegistry) async throws {
            try await upstream.push(layout: layout, name: "app", to: "apps/app:v1")
            try await upstream.push(layout: layout, name: "tools", to: "apps/tools:v1")
        }

        static let artifacts = ["repository: apps/app\ntag: v1", "repository: apps/tools\ntag: v1"]
    }

    /// A state for a satellite of site `hamburg` whose satellites listen on `ports`.
    static func siteState(
        _ upstream: UpstreamRegistry, url: String? = nil, generation: Int = 1, artifacts: [String], peers: [String],
        credential: String = credential
    ) -> String {
        var state = stateYAML(generation: generation, upstream: upstream, url: url, artifacts: artifacts)
        if artifacts.isEmpty { state = state.replacingOccurrences(of: "artifacts:\n", with: "artifacts: []\n") }
        return state + "\npeers:\n" + peers.map { "  - url: \($0)\n" }.joined()
            + "site:\n  name: hamburg\n  credential: \(credential)\n"
    }

    /// Starts a satellite of the site on `port`, advertising itself there.
    static func startMember(_ state: String, port: Int, arguments: [String] = []) async throws -> SatelliteAgent {
        try await SatelliteAgent(
            state: state, arguments: ["--advertise", "http://127.0.0.1:\(port)"] + arguments, port: port)
    }

    /// A satellite of the site holding every artifact of `SiteImages`, synced; and its port.
    static func startHolder(_ upstream: UpstreamRegistry) async throws -> (agent: SatelliteAgent, port: Int) {
        let port = try freePort()
        let holder = try await startMember(siteState(upstream, artifacts: SiteImages.artifacts, peers: []), port: port)
        do {
            try await holder.waitForStatus("the holder's sync") { $0.allSynced }
        } catch {
            holder.terminate()
            throw error
        }
        return (holder, port)
    }

    /// A holder of every artifact of `SiteImages`, synced, then its upstream stopped: what a
    /// satellite that joins can fill from only through its peers.
    static func withOfflineHolder(
        _ body: (SiteImages, UpstreamRegistry, _ holderPort: Int) async throws -> Void
    ) async throws {
        try await withUpstream { work, _, upstream in
            let images = try SiteImages(in: work)
            try await images.push(to: upstream)
            let (holder, holderPort) = try await startHolder(upstream)
            defer { holder.terminate() }
            await upstream.stop()
            try await body(images, upstream, holderPort)
        }
    }

    /// Satellites of the site on `ports`, with a state of no artifacts yet.
    static func startSite(
        _ upstream: UpstreamRegistry, url: String, peers: [String], on ports: [Int]
    ) async throws -> [SatelliteAgent] {
        var agents: [SatelliteAgent] = []
        do {
            for port in ports {
                agents.append(
                    try await startMember(siteState(upstream, url: url, artifacts: [], peers: peers), port: port))
            }
        } catch {
            agents.forEach { $0.terminate() }
            throw error
        }
        return agents
    }

    /// `link-relay.py` in front of the upstream: a WAN of `rate` bytes/s per connection.
    static func startLink(
        to upstream: UpstreamRegistry, rate: Int, in work: TemporaryDirectory
    ) async throws -> (relay: ChildProcess, url: String) {
        let python = try requireTool("python3", package: "python3")
        let relay = try ChildProcess(
            python, ["\(RealClientTests.scripts)/link-relay.py", String(upstream.port), "--rate", String(rate)],
            logDirectory: work.path)
        let port = try await pollFor("the link relay's port") {
            relay.output.split(separator: "\n").first { $0.hasPrefix("port ") }.map { String($0.dropFirst(5)) }
        }
        return (relay, "http://127.0.0.1:\(port)")
    }

    /// Bytes of blob bodies the upstream has sent (its access log gives each reply's size).
    static func upstreamBlobBytes(_ upstream: UpstreamRegistry) -> Int64 {
        blobBytesSent(accessLog: upstream.requestLog)
    }

    /// Bytes of blob bodies a docker-registry's access log says it sent.
    static func blobBytesSent(accessLog lines: [String]) -> Int64 {
        lines.reduce(0) { total, line in
            guard line.contains("\"GET /v2/"), line.contains("/blobs/sha256:"),
                let status = line.range(of: #"HTTP/1\.1" 20[06] (\d+)"#, options: .regularExpression)
            else { return total }
            return total + (Int64(line[status].split(separator: " ").last ?? "") ?? 0)
        }
    }

    static func expectHoldsWhole(_ blobs: [Descriptor], _ agent: SatelliteAgent) async throws {
        for blob in blobs {
            let reply = try await httpGet("\(agent.baseURL)/v2/central/apps/app/blobs/\(blob.digest)")
            let alternative =
                reply.status == 200
                ? reply : try await httpGet("\(agent.baseURL)/v2/central/apps/tools/blobs/\(blob.digest)")
            #expect(
                DigestHasher.digest(of: [UInt8](alternative.body)) == blob.digest, "\(agent.baseURL) \(blob.digest)")
        }
    }

    static func siteHeaders(_ credential: String) -> [String: String] {
        ["Authorization": "Basic " + Data("site:\(credential)".utf8).base64EncodedString()]
    }

    @Test func threeSatellitesOfASiteTakeEachBlobFromTheUpstreamOnceAndServeOnlyTheSite() async throws {
        try await withUpstream { work, _, upstream in
            let images = try SiteImages(in: work)
            try await images.push(to: upstream)
            // A WAN slow enough that the three syncs overlap: without the site's coordination
            // each would fetch most blobs itself.
            let wan = try await Self.startLink(to: upstream, rate: 2_000_000, in: work)
            defer { Task { await wan.relay.stop() } }
            let ports = try (0..<3).map { _ in try freePort() }
            let peers = ports.map { "http://127.0.0.1:\($0)" }
            let agents = try await Self.startSite(upstream, url: wan.url, peers: peers, on: ports)
            defer { agents.forEach { $0.terminate() } }
            let before = Self.upstreamBlobBytes(upstream)
            // The state reaches all three at once.
            let state = Self.siteState(
                upstream, url: wan.url, generation: 2, artifacts: SiteImages.artifacts, peers: peers)
            for agent in agents { try agent.writeState(state) }
            for agent in agents {
                try await agent.waitForStatus("the site's sync", timeout: .seconds(120)) {
                    $0.allSynced && $0.lastSync?.generation == 2
                }
            }
            let fetched = Self.upstreamBlobBytes(upstream) - before
            print("site sync: the upstream sent \(fetched) bytes of blobs for a state of \(images.blobBytes)")
            #expect(
                Double(fetched) <= 1.1 * Double(images.blobBytes),
                "upstream sent \(fetched) bytes of blobs for a state of \(images.blobBytes)")
            var fromPeers: Int64 = 0
            for agent in agents {
                try await Self.expectHoldsWhole(images.blobs, agent)
                let transfer = try #require(try await agent.status().transfer)
                fromPeers += transfer.fromPeersBytes
            }
            #expect(fromPeers >= images.blobBytes, "peers sent each other \(fromPeers) bytes")

            // Only the site's satellites, with the credential, and only reads.
            let member = agents[0].baseURL
            let bare = try await httpGet("\(member)/_site/v2/")
            #expect(bare.status == 401)
            #expect(bare.headers["www-authenticate"]?.hasPrefix("Basic") == true)
            #expect(
                try await httpGet("\(member)/_site/v2/", headers: Self.siteHeaders("a-wrong-credential-0123456789"))
                    .status == 401)
            #expect(try await httpGet("\(member)/_site/v2/", headers: Self.siteHeaders(Self.credential)).status == 200)
            let blob = images.blobs[0]
            let read = try await httpGet(
                "\(member)/_site/v2/anything/blobs/\(blob.digest)", headers: Self.siteHeaders(Self.credential))
            #expect(read.status == 200 && DigestHasher.digest(of: [UInt8](read.body)) == blob.digest)
            let write = try await httpSend(
                "DELETE", "\(member)/_site/v2/central/apps/app/blobs/\(blob.digest)",
                headers: Self.siteHeaders(Self.credential))
            #expect(write.status == 405)
            let metrics = String(decoding: try await httpGet("\(member)/metrics").body, as: UTF8.self)
            #expect(
                metrics.contains("satellite_site_refused_total 2"),
                "\(metrics.split(separator: "\n").filter { $0.contains("site") })")
        }
    }

    @Test func wrongBytesFromAPeerAreNeverStoredAndTheUpstreamSendsTheRightOnes() async throws {
        try await withUpstream { work, _, upstream in
            let images = try SiteImages(in: work)
            try await images.push(to: upstream)
            let (holder, holderPort) = try await Self.startHolder(upstream)
            defer { holder.terminate() }
            let python = try requireTool("python3", package: "python3")
            let tampering = try ChildProcess(
                python, ["\(RealClientTests.scripts)/tampering-proxy.py", String(holderPort), "--blobs"],
                logDirectory: work.path)
            defer { Task { await tampering.stop() } }
            let tamperingPort = try await pollFor("the tampering relay's port") {
                tampering.output.split(separator: "\n").first { $0.hasPrefix("port ") }.map { String($0.dropFirst(5)) }
            }
            let port = try freePort()
            let fetcher = try await Self.startMember(
                Self.siteState(upstream, artifacts: SiteImages.artifacts, peers: ["http://127.0.0.1:\(tamperingPort)"]),
                port: port)
            defer { fetcher.terminate() }
            try await fetcher.waitForStatus("a sync past the wrong bytes", timeout: .seconds(120)) { $0.allSynced }
            #expect(tampering.output.contains("tampered"), "the peer's bytes never went through the relay")
            #expect(fetcher.child.errorOutput.contains("wrong digest"))
            try await Self.expectHoldsWhole(images.blobs, fetcher)
        }
    }

    @Test func aPeerKilledMidTransferLeavesTheOthersToCompleteAndACutOffSiteFillsANewSatellite() async throws {
        try await withUpstream { work, _, upstream in
            let images = try SiteImages(in: work)
            try await images.push(to: upstream)
            // A slow WAN, so that a fetch is under way long enough to be cut.
            let link = try await Self.startLink(to: upstream, rate: 1_500_000, in: work)
            defer { Task { await link.relay.stop() } }
            let wan = link.url
            let ports = try (0..<4).map { _ in try freePort() }
            let peers = ports.map { "http://127.0.0.1:\($0)" }
            let agents = try await Self.startSite(upstream, url: wan, peers: peers, on: Array(ports.prefix(3)))
            defer { agents.forEach { $0.terminate() } }
            let state = Self.siteState(upstream, url: wan, generation: 2, artifacts: SiteImages.artifacts, peers: peers)
            for agent in agents { try agent.writeState(state) }
            let victim = agents[0]
            try await poll("the first satellite to be fetching from the upstream", timeout: .seconds(60)) {
                let metrics = String(
                    decoding: (try? await httpGet("\(victim.baseURL)/metrics").body) ?? Data(), as: UTF8.self)
                return metrics.split(separator: "\n").contains {
                    $0.hasPrefix("satellite_site_upstream_bytes_total ") && !$0.hasSuffix(" 0")
                }
            }
            victim.child.signal(SIGKILL)
            for agent in agents.dropFirst() {
                try await agent.waitForStatus("a sync without the killed peer", timeout: .seconds(180)) {
                    $0.allSynced && $0.lastSync?.generation == 2
                }
                try await Self.expectHoldsWhole(images.blobs, agent)
            }

            // Ground Control was never there; now the upstream goes too.
            await upstream.stop()
            let newcomer = try await Self.startMember(state, port: ports[3], arguments: ["--upstream-timeout", "2"])
            defer { newcomer.terminate() }
            let status = try await newcomer.waitForStatus("a sync from the peers alone", timeout: .seconds(120)) {
                $0.allSynced
            }
            try await Self.expectHoldsWhole(images.blobs, newcomer)
            let transfer = try #require(status.transfer)
            #expect(transfer.fromUpstreamBytes == 0)
            #expect(transfer.fromPeersBytes >= images.blobBytes)
        }
    }
}
