import Foundation
import OCI
import TestSupport
import Testing

extension Reliability {
    /// `satellite run` pulling through `link-relay.py`: a slow, lossy link that goes dark mid-sync and
    /// leaves the connections it cut dead (as a NAT that forgot them would).
    @Suite("slow, lossy, cut link")
    struct SlowLinkTests {
        @Test func aDeadConnectionIsLeftByProgressNotByAFixedReadTimeout() async throws {
            try await withUpstream { work, images, upstream in
                try await upstream.push(layout: images.layout, name: "big", to: "apps/big:v1")
                let python = try requireTool("python3", package: "python3")
                let relay = try ChildProcess(
                    python,
                    [
                        "\(RealClientTests.scripts)/link-relay.py", String(upstream.port), "--rate", "4000000",
                        "--latency", "20",
                        "--loss", "0.02", "--cut-after", "3000000", "--cut-for", "5",
                    ],
                    logDirectory: work.path)
                defer { relay.signal(SIGKILL) }
                try await poll("the relay to listen") { relay.output.hasPrefix("port ") }
                let relayPort = try require(
                    relay.output.split(separator: "\n").first?.split(separator: " ").last.flatMap { Int($0) },
                    "relay port")

                let started = ContinuousClock.now
                let agent = try await SatelliteAgent(
                    state: stateYAML(
                        generation: 1, upstream: upstream, url: "http://127.0.0.1:\(relayPort)",
                        artifacts: ["repository: apps/big\ntag: v1"]),
                    arguments: ["--stall-timeout", "3"])
                defer { agent.terminate() }
                try await agent.waitForStatus("the sync across the cut", timeout: .seconds(90)) { $0.allSynced }
                let elapsed = ContinuousClock.now - started
                #expect(relay.output.contains("cut after"), "the link was never cut: \(relay.output)")
                // The connections the cut left dead were given up after 3 s without a byte, not after
                // the 60 s a read timeout would wait; the cut itself lasts 5 s.
                #expect(agent.child.errorOutput.contains("no byte received for"), "no stall was detected")
                #expect(elapsed < .seconds(50), "the sync took \(elapsed)")
                print("SlowLinkTests: 12 MiB at 4 MB/s with a 5 s cut synced in \(elapsed)")
                for blob in try images.blobs(of: images.big) {
                    let reply = try await httpGet("\(agent.baseURL)/v2/apps/big/blobs/\(blob.digest)")
                    #expect(DigestHasher.digest(of: [UInt8](reply.body)) == blob.digest)
                }
            }
        }
    }
}
