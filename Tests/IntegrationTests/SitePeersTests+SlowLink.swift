import Foundation
import OCI
import TestSupport
import Testing

extension SitePeersTests {
    /// A real slow WAN, made by the kernel: the upstream in its own network namespace behind a
    /// veth pair whose far side is shaped (netem where the kernel has it, else a token bucket).
    /// Two satellites of a site sync one state at once over it; the link carries each blob once.
    @Test func aSiteBehindAKernelShapedWANFetchesEachBlobOnce() async throws {
        guard var wan = try await ShapedWAN.make() else { return }
        defer { wan.remove() }
        let work = try TemporaryDirectory("site-wan")
        defer { work.remove() }
        let images = try SiteImages(in: work)

        // docker-registry inside the namespace, on the far end of the link.
        let registryTool = try requireTool("docker-registry", package: "docker-registry")
        let port = try freePort()
        try Data(
            """
            version: 0.1
            log: {level: error}
            storage: {filesystem: {rootdirectory: \(work.appending("storage"))}}
            http: {addr: "\(wan.farAddress):\(port)"}
            """.utf8
        ).write(to: URL(fileURLWithPath: work.appending("registry.yml")))
        let registry = try ChildProcess(
            wan.ip, ["netns", "exec", wan.namespace, registryTool, "serve", work.appending("registry.yml")],
            logDirectory: work.path)
        defer { Task { await registry.stop() } }
        let upstream = "http://\(wan.farAddress):\(port)"
        try await poll("docker-registry in the namespace to listen") {
            guard registry.isRunning else { throw TestSupportError("docker-registry exited: \(registry.errorOutput)") }
            return (try? await httpGet("\(upstream)/v2/"))?.status == 200
        }
        let skopeo = try requireTool("skopeo", package: "skopeo")
        for name in ["app", "tools"] {
            try await runChecked(
                skopeo,
                [
                    "copy", "--preserve-digests", "--dest-tls-verify=false", "oci:\(images.layout):\(name)",
                    "docker://\(wan.farAddress):\(port)/apps/\(name):v1",
                ])
        }
        try await wan.shape()
        print("SitePeersTests: a WAN made with \(wan.shaping)")

        let ports = try (0..<2).map { _ in try freePort() }
        let peers = ports.map { "http://127.0.0.1:\($0)" }
        func state(_ generation: Int, _ artifacts: Bool) -> String {
            """
            schemaVersion: 1
            generation: \(generation)
            upstreams: [{name: central, url: "\(upstream)"}]
            artifacts: \(artifacts ? """
                [{upstream: central, repository: apps/app, tag: v1}, {upstream: central, repository: apps/tools, tag: \
                v1}]
                """ : "[]")
            peers: [\(peers.map { "{url: \"\($0)\"}" }.joined(separator: ", "))]
            site: {name: hamburg, credential: \(Self.credential)}
            """
        }
        var agents: [SatelliteAgent] = []
        defer { agents.forEach { $0.terminate() } }
        for port in ports { agents.append(try await Self.startMember(state(1, false), port: port)) }
        let sent = { Self.blobBytesSent(accessLog: registry.output.split(separator: "\n").map(String.init)) }
        let before = sent()
        let started = ContinuousClock.now
        for agent in agents { try agent.writeState(state(2, true)) }
        for agent in agents {
            try await agent.waitForStatus("the site's sync over the WAN", timeout: .seconds(180)) {
                $0.allSynced && $0.lastSync?.generation == 2
            }
            try await Self.expectHoldsWhole(images.blobs, agent)
        }
        let fetched = sent() - before
        print(
            """
            SitePeersTests: over the shaped WAN the upstream sent \(fetched) bytes of blobs for a state of \
            \(images.blobBytes), in \(ContinuousClock.now - started)
            """
        )
        #expect(Double(fetched) <= 1.1 * Double(images.blobBytes))
    }
}

/// A network namespace holding the far end of a veth pair: a WAN the kernel shapes.
struct ShapedWAN {
    let ip: String
    let tc: String
    let namespace: String
    let nearDevice: String
    let farDevice: String
    let farAddress: String
    /// This machine's end of the link.
    let nearAddress: String
    private(set) var shaping = ""

    /// The namespace and link, or nil (having said why in the output) when this machine refuses
    /// network namespaces, as an unprivileged container does.
    static func make() async throws -> ShapedWAN? {
        let ip = try requireTool("ip", package: "iproute2")
        let tc = try requireTool("tc", package: "iproute2")
        let id = String(UInt32.random(in: 0..<0xFFFF), radix: 16)
        let subnet = Int.random(in: 1...250)
        let wan = ShapedWAN(
            ip: ip, tc: tc, namespace: "satwan-\(id)", nearDevice: "swn\(id)", farDevice: "swf\(id)",
            farAddress: "10.231.\(subnet).2", nearAddress: "10.231.\(subnet).1")
        let created = try await run(ip, ["netns", "add", wan.namespace])
        guard created.status == 0 else {
            print(
                """
                SitePeersTests: NOT RUN on this machine: network namespaces are refused (`ip netns add`: \
                \(created.error.trimmingCharacters(in: .whitespacesAndNewlines))); the relay-based site tests \
                cover the same behaviour
                """
            )
            return nil
        }
        do {
            try await runChecked(ip, ["link", "add", wan.nearDevice, "type", "veth", "peer", "name", wan.farDevice])
            try await runChecked(ip, ["link", "set", wan.farDevice, "netns", wan.namespace])
            try await runChecked(ip, ["addr", "add", "\(wan.nearAddress)/30", "dev", wan.nearDevice])
            try await runChecked(ip, ["link", "set", wan.nearDevice, "up"])
            try await runChecked(
                ip, ["netns", "exec", wan.namespace, ip, "addr", "add", "\(wan.farAddress)/30", "dev", wan.farDevice])
            try await runChecked(ip, ["netns", "exec", wan.namespace, ip, "link", "set", wan.farDevice, "up"])
            try await runChecked(ip, ["netns", "exec", wan.namespace, ip, "link", "set", "lo", "up"])
        } catch {
            wan.remove()
            throw error
        }
        return wan
    }

    /// 40 Mbit/s from the upstream to the site, with 20 ms of delay where netem exists.
    mutating func shape() async throws {
        let netem = try await run(
            ip,
            [
                "netns", "exec", namespace, tc, "qdisc", "add", "dev", farDevice, "root", "netem", "delay", "20ms",
                "rate", "40mbit",
            ])
        if netem.status == 0 {
            shaping = "netem: 40 Mbit/s, 20 ms"
            return
        }
        try await runChecked(
            ip,
            [
                "netns", "exec", namespace, tc, "qdisc", "add", "dev", farDevice, "root", "tbf", "rate", "40mbit",
                "burst", "32kb", "latency", "400ms",
            ])
        shaping =
            "tbf: 40 Mbit/s (this kernel has no netem: \(netem.error.trimmingCharacters(in: .whitespacesAndNewlines)))"
    }

    func remove() {
        _ = try? Process.run(URL(fileURLWithPath: ip), arguments: ["link", "del", nearDevice]).waitUntilExit()
        _ = try? Process.run(URL(fileURLWithPath: ip), arguments: ["netns", "del", namespace]).waitUntilExit()
    }
}
