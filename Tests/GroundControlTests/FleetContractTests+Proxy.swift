import Foundation
import GroundControl
import OCI
import SatelliteProtocol
import Testing

extension FleetContractTests {
    /// A group's pull-through rules are stored with it and reach its satellites' state: groups on
    /// one registry allow the union of their patterns, with the shortest tag TTL.
    @Test(arguments: Backend.allCases)
    func pullThroughRulesTravelFromGroupsToTheState(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, _ in
            try await Self.seed(fleet)
            let library = try RepositoryPattern("library/*")
            let apps = try RepositoryPattern("apps/**")
            let (stored, _) = try await fleet.putGroup(try Self.name("proxied"), GroupDefinition(
                registry: "central", artifacts: [], proxy: GroupProxy(repositories: [library, library], tagTTL: 600)))
            #expect(stored.proxy == GroupProxy(repositories: [library], tagTTL: 600), "a pattern listed twice is kept once")
            #expect(try await fleet.group(try Self.name("proxied")).proxy == stored.proxy)
            _ = try await fleet.putGroup(try Self.name("more"), GroupDefinition(
                registry: "central", artifacts: [], proxy: GroupProxy(repositories: [apps, library], tagTTL: 60)))

            _ = try await fleet.createSatellite(SatelliteDefinition(name: "s1", groups: ["edge", "proxied", "more"]))
            let state = try await fleet.desiredState(of: try Self.name("s1"))
            try state.validate()
            #expect(state.proxy == [DesiredState.ProxyRule(upstream: "central", repositories: [apps, library], tagTTL: 60)])
            _ = try await fleet.createSatellite(SatelliteDefinition(name: "s2", groups: ["edge"]))
            #expect(try await fleet.desiredState(of: try Self.name("s2")).proxy == nil, "no rule: no pull-through")

            await expectFailure(.invalidField) {
                _ = try await fleet.putGroup(try Self.name("bad"), GroupDefinition(registry: "central", artifacts: [], proxy: GroupProxy(repositories: [])))
            }
            await expectFailure(.invalidField) {
                _ = try await fleet.putGroup(try Self.name("bad"), GroupDefinition(
                    registry: "central", artifacts: [], proxy: GroupProxy(repositories: [library], tagTTL: -5)))
            }
        }
    }

    /// Signature policies: a group's reaches its artifacts, and the one pull-through rule of a
    /// registry trusts every key its groups trust, requiring a signature if any of them does.
    @Test(arguments: Backend.allCases)
    func signaturePoliciesTravelToArtifactsAndTheMergedRule(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, _ in
            try await Self.seed(fleet)
            let first = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n"
            let second = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n"
            let library = try RepositoryPattern("library/*")
            _ = try await fleet.putGroup(try Self.name("signed"), GroupDefinition(
                registry: "central", artifacts: [try Self.artifact("apps/db", tag: "v1")], proxy: GroupProxy(repositories: [library]),
                verification: .init(keys: [first], required: false)))
            _ = try await fleet.putGroup(try Self.name("strict"), GroupDefinition(
                registry: "central", artifacts: [], proxy: GroupProxy(repositories: [library]), verification: .init(keys: [second, first])))
            _ = try await fleet.createSatellite(SatelliteDefinition(name: "s1", groups: ["edge", "signed", "strict"]))
            let state = try await fleet.desiredState(of: try Self.name("s1"))
            try state.validate()
            #expect(state.artifacts.first { $0.repository.value == "apps/db" }?.verification == .init(keys: [first], required: false))
            #expect(state.artifacts.first { $0.repository.value == "library/alpine" }?.verification == nil, "another group's artifact")
            #expect(state.proxy?.first?.verification == .init(keys: [first, second], required: true))
        }
    }
}
