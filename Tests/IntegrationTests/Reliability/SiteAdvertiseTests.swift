import Foundation
import OCI
import TestSupport
import Testing

extension Reliability {
    /// Issue 25.3: satellites of a site whose members list each other as peers, with every mix
    /// of `--advertise` given and not. Before the fix, members that did not know their own
    /// address each named another the blob's fetcher while telling the others they were fetching
    /// it, and waited on each other (for ten minutes per blob). Now every member is filled well
    /// before that, and the upstream is asked at all.
    @Suite("site members with and without --advertise")
    struct SiteAdvertiseTests {
        @Test(arguments: [0, 1, 2, 3])
        func everyMemberIsFilledWhicheverOfThemAdvertise(advertised: Int) async throws {
            try await withUpstream { work, _, upstream in
                let images = try SitePeersTests.SiteImages(in: work)
                try await images.push(to: upstream)
                let ports = try (0..<3).map { _ in try freePort() }
                let urls = ports.map { "http://127.0.0.1:\($0)" }
                var agents: [SatelliteAgent] = []
                defer { agents.forEach { $0.terminate() } }
                for (index, port) in ports.enumerated() {
                    // Each lists the other two, as an operator writing state files by hand would.
                    let state = SitePeersTests.siteState(
                        upstream, artifacts: SitePeersTests.SiteImages.artifacts,
                        peers: urls.enumerated().filter { $0.offset != index }.map(\.element))
                    let arguments = index < advertised ? ["--advertise", urls[index]] : []
                    agents.append(try await SatelliteAgent(state: state, arguments: arguments, port: port))
                }
                let started = ContinuousClock.now
                for agent in agents {
                    // Far below the 600 s a member waited per blob on a peer that waited on it.
                    try await agent.waitForStatus("\(agent.baseURL) to hold both images", timeout: .seconds(90)) {
                        $0.allSynced && $0.inventory.count == 2
                    }
                    try await SitePeersTests.expectHoldsWhole(images.blobs, agent)
                }
                print(
                    "SiteAdvertiseTests (\(advertised) of 3 advertised): all filled in \(ContinuousClock.now - started)"
                )
                #expect(
                    SitePeersTests.upstreamBlobBytes(upstream) >= images.blobBytes,
                    "the upstream sent every blob at least once")
            }
        }
    }
}
