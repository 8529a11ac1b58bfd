import Foundation
import TestSupport
import Testing

extension SitePeersTests {
    /// `--site-peers-dns`: a satellite whose state lists no peers finds the site's other one by
    /// a name's addresses (`localhost`, as a headless Service's name gives each pod's), leaves
    /// itself out, and fills from it with the upstream stopped.
    @Test func aSatelliteFindsItsPeersByDNSAndFillsFromThemOffline() async throws {
        try await Self.withOfflineHolder { images, upstream, holderPort in

            let port = try freePort()
            let finder = try await Self.startMember(
                Self.siteState(upstream, artifacts: SiteImages.artifacts, peers: []), port: port,
                arguments: ["--site-peers-dns", "localhost:\(holderPort)"])
            defer { finder.terminate() }
            try await finder.waitForStatus("a sync from the peer found by DNS") { $0.allSynced }
            #expect(
                finder.child.errorOutput.contains("the site's peers by DNS"), "\(finder.child.errorOutput.suffix(2000))"
            )
            try await Self.expectHoldsWhole(images.blobs, finder)
        }
    }

    /// A name that has no address (DNS away, no ready pod yet) leaves the satellite as it was:
    /// it says so, syncs from its upstream, and serves.
    @Test func aNameWithoutAddressesIsSaidAndChangesNothing() async throws {
        try await withUpstream { work, _, upstream in
            let images = try SiteImages(in: work)
            try await images.push(to: upstream)
            let port = try freePort()
            let agent = try await Self.startMember(
                Self.siteState(upstream, artifacts: SiteImages.artifacts, peers: []), port: port,
                arguments: ["--site-peers-dns", "no-such-peers.invalid:5050"])
            defer { agent.terminate() }
            try await agent.waitForStatus("a sync from the upstream") { $0.allSynced }
            try await poll("the warning") {
                agent.child.errorOutput.contains("the site's peers' name has no addresses")
            }
            try await Self.expectHoldsWhole(images.blobs, agent)
        }
    }

    @Test(
        arguments: [
            (["--site-peers-dns", "localhost:0", "--advertise", "http://127.0.0.1:5050"], "NAME:PORT"),
            (["--site-peers-dns", ":5050", "--advertise", "http://127.0.0.1:5050"], "NAME:PORT"),
            (["--site-peers-dns", "localhost", "--advertise", "http://127.0.0.1:5050"], "host:port"),
            (["--site-peers-dns", "localhost:5050"], "needs --advertise"),
        ] as [([String], String)])
    func peersByDNSNeedANameAPortAndAnAdvertisedAddress(arguments: [String], message: String) async throws {
        let result = try await satelliteRunAtStart(arguments)
        #expect(result.status != 0 && result.error.contains(message), "\(arguments): \(result.error)")
    }
}
