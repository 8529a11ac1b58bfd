import Foundation
import OCI
import SatelliteProtocol
import Testing

@Suite struct DesiredStateTests {
    func state(upstreams: [DesiredState.Upstream], artifacts: [DesiredState.Artifact]) -> DesiredState {
        DesiredState(generation: 1, upstreams: upstreams, artifacts: artifacts)
    }

    @Test func duplicateUpstreamNamesAreRefused() {
        let u = DesiredState.Upstream(name: "u", url: "http://a")
        #expect(throws: DesiredStateError(field: "upstreams[1].name", "'u' is listed twice")) {
            try state(upstreams: [u, u], artifacts: []).validate()
        }
    }

    @Test func passwordNeedsAUser() {
        let u = DesiredState.Upstream(name: "u", url: "http://a", password: "x")
        #expect(throws: DesiredStateError.self) { try state(upstreams: [u], artifacts: []).validate() }
    }

    @Test func roundTripsThroughJSON() throws {
        let original = state(
            upstreams: [.init(name: "u", url: "http://a")],
            artifacts: [
                .init(
                    upstream: "u", repository: try RepositoryName("a/b"), tag: try Tag("v1"),
                    platforms: ["linux/arm64/v8"])
            ])
        let data = try JSONEncoder().encode(original)
        #expect(try JSONDecoder().decode(DesiredState.self, from: data) == original)
    }

    @Test(arguments: [
        ("linux/amd64", "linux/amd64", true), ("linux/arm64", "linux/arm64/v8", true),
        ("linux/arm64/v8", "linux/arm64", false), ("linux/amd64", "windows/amd64", false),
    ])
    func platformSelection(selector: String, candidate: String, selected: Bool) throws {
        #expect(try Platform(parsing: selector).selects(try Platform(parsing: candidate)) == selected)
    }
}

@Suite struct DesiredStateSiteTests {
    static func state(peers: [String], site: DesiredState.Site?) -> DesiredState {
        DesiredState(generation: 1, upstreams: [], artifacts: [], peers: peers.map { .init(url: $0) }, site: site)
    }

    @Test func peersNeedTheSiteCredential() {
        #expect(
            throws: DesiredStateError(
                field: "site.credential",
                "is required with peers: peers are asked with it and refuse requests without it")
        ) {
            try Self.state(peers: ["http://10.0.0.2:5050"], site: nil).validate()
        }
        #expect(throws: DesiredStateError.self) {
            try Self.state(peers: ["http://10.0.0.2:5050"], site: .init(name: "hamburg")).validate()
        }
    }

    @Test func aPeerIsListedOnceWithoutPath() {
        let site = DesiredState.Site(name: "hamburg", credential: "0123456789abcdef")
        #expect(throws: DesiredStateError.self) {
            try Self.state(peers: ["http://a:1", "HTTP://A:1/"], site: site).validate()
        }
        #expect(throws: DesiredStateError.self) { try Self.state(peers: ["http://a:1/v2"], site: site).validate() }
        #expect(throws: Never.self) { try Self.state(peers: ["http://a:1", "https://b"], site: site).validate() }
    }

    @Test func memberIDsAreSPIFFEIDsListedOnce() {
        var site = DesiredState.Site(name: "hamburg", credential: "0123456789abcdef")
        for (ids, field) in [
            (["https://example.org/edge/a"], "site.memberIDs[0]"),
            (["spiffe://example.org/a", "spiffe://example.org/a"], "site.memberIDs[1]"),
            (["spiffe://example.org/a b"], "site.memberIDs[0]"),
        ] {
            site.memberIDs = ids
            #expect { try Self.state(peers: [], site: site).validate() } throws: {
                ($0 as? DesiredStateError)?.field == field
            }
        }
        site.memberIDs = ["spiffe://example.org/edge/a", "spiffe://example.org/edge/b"]
        #expect(throws: Never.self) { try Self.state(peers: [], site: site).validate() }
    }

    @Test func credentialsStayOutOfDescriptions() {
        let site = DesiredState.Site(
            name: "hamburg", credential: "0123456789abcdef-secret", previousCredential: "older-0123456789abcdef")
        #expect(!site.description.contains("secret"))
        #expect(!site.description.contains("older"))
    }
}
