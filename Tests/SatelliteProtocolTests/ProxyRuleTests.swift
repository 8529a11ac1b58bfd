import OCI
import SatelliteProtocol
import Testing

/// Pull-through allow rules: patterns, and what the state accepts.
@Suite struct ProxyRuleTests {
    @Test(
        arguments: [
            ("library/*", "library/alpine", true),
            ("library/*", "library/alpine/extra", false),
            ("library/*", "other/alpine", false),
            ("apps/**", "apps/web", true),
            ("apps/**", "apps/team/web", true),
            ("apps/**", "apps", false),
            ("**/web", "apps/team/web", true),
            ("apps/web", "apps/web", true),
            ("apps/web", "apps/web2", false),
            ("apps/web-*", "apps/web-canary", true),
            ("apps/*-edge", "apps/pos-edge", true),
            ("apps/*-edge", "apps/pos", false),
            ("*", "alpine", true),
            ("*", "library/alpine", false),
            ("**", "a/b/c", true),
        ] as [(String, String, Bool)])
    func patternsMatch(pattern: String, name: String, matches: Bool) throws {
        #expect(try RepositoryPattern(pattern).matches(RepositoryName(name)) == matches)
    }

    @Test(arguments: ["", "Library/*", "apps//web", "apps/***", "a**/b", "/apps", "apps/", "apps/we b"])
    func malformedPatternsAreRefused(raw: String) {
        #expect(throws: OCIError.self) { try RepositoryPattern(raw) }
    }

    static let upstream = DesiredState.Upstream(name: "central", url: "http://a")

    @Test func aRuleNamesAKnownUpstreamOnceWithSomePatternAndASaneTTL() throws {
        let patterns = [try RepositoryPattern("library/*")]
        let valid = DesiredState(
            generation: 1, upstreams: [Self.upstream], artifacts: [],
            proxy: [.init(upstream: "central", repositories: patterns, tagTTL: 60)])
        try valid.validate()
        #expect(valid.proxyRule(for: "central")?.allows(try RepositoryName("library/alpine")) == true)
        #expect(valid.proxyRule(for: "central")?.allows(try RepositoryName("apps/web")) == false)
        for (rules, field) in [
            ([DesiredState.ProxyRule(upstream: "elsewhere", repositories: patterns)], "proxy[0].upstream"),
            (
                [
                    .init(upstream: "central", repositories: patterns),
                    .init(upstream: "central", repositories: patterns),
                ], "proxy[1].upstream"
            ),
            ([.init(upstream: "central", repositories: [])], "proxy[0].repositories"),
            ([.init(upstream: "central", repositories: patterns, tagTTL: -1)], "proxy[0].tagTTL"),
        ] {
            let state = DesiredState(generation: 1, upstreams: [Self.upstream], artifacts: [], proxy: rules)
            #expect(performing: { try state.validate() }, throws: { ($0 as? DesiredStateError)?.field == field })
        }
    }
}
