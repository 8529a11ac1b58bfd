import Logging
import OCI
import Replication
import SatelliteProtocol
import StateContent
import Testing

@Suite struct SiteTests {
    static let members = (1...5).map { "http://10.0.0.\($0):5050" }
    static let digests = (0..<1000).map { DigestHasher.digest(of: Array("blob \($0)".utf8)) }

    static func winner(_ digest: Digest, among members: [String]) -> String {
        members.max { Site.weight($0, digest) < Site.weight($1, digest) }!
    }

    @Test func rendezvousSpreadsBlobsOverTheSite() {
        var shares: [String: Int] = [:]
        for digest in Self.digests { shares[Self.winner(digest, among: Self.members), default: 0] += 1 }
        // 200 each on average; a member with a tenth or twice that would be a broken hash.
        #expect(shares.count == 5)
        #expect(shares.values.allSatisfy { (100...300).contains($0) }, "\(shares)")
    }

    @Test func aMemberLeavingMovesOnlyItsOwnBlobs() {
        let remaining = Array(Self.members.dropFirst())
        for digest in Self.digests {
            let before = Self.winner(digest, among: Self.members)
            let after = Self.winner(digest, among: remaining)
            if before != Self.members[0] { #expect(after == before) }
        }
    }

    @Test func theConfigurationLeavesThisSatelliteOutOfItsPeers() {
        let configuration = Site.Configuration(
            name: "hamburg", peers: ["http://10.0.0.1:5050/", "HTTP://10.0.0.2:5050", "not a url"],
            ownURL: "http://10.0.0.1:5050",
            credential: "0123456789abcdef")
        #expect(configuration.peers == ["http://10.0.0.2:5050"])
        #expect(configuration.ownURL == "http://10.0.0.1:5050")
    }

    @Test func withoutPeersASyncFetchesInItsOwnOrder() async {
        let site = Site(logger: Logger(label: "test"))
        site.configure(.init(name: "alone", peers: [], ownURL: nil, credential: "0123456789abcdef"))
        let sources = SiteSources(upstreams: NoSources(), site: site)
        let order = await sources.willFetch(Array(Self.digests.prefix(3)))
        #expect(order == Array(Self.digests.prefix(3)))
        #expect(site.plan(for: Self.digests[0]) == .fetching)
        #expect(site.plan(for: Self.digests[5]) == .other)
        sources.finishedFetching(Self.digests[0])
        #expect(site.plan(for: Self.digests[0]) == .other)
        sources.endFetching()
        #expect(site.plan(for: Self.digests[1]) == .idle)
    }
}

/// Sources that are never asked.
private struct NoSources: ContentSources {
    struct Unused: Error {}
    func source(for upstream: DesiredState.Upstream) throws -> any ContentSource { throw Unused() }
    func shutdown() async {}
}
