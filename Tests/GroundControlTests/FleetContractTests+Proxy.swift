import FleetAPI
import FleetDomain
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
            let (stored, _) = try await fleet.groups.put(
                try Self.name("proxied"),
                GroupDefinition(
                    registry: "central", artifacts: [],
                    proxy: GroupProxy(repositories: [library, library], tagTTL: 600)))
            #expect(
                stored.proxy == GroupProxy(repositories: [library], tagTTL: 600), "a pattern listed twice is kept once")
            #expect(try await fleet.groups.named(try Self.name("proxied")).proxy == stored.proxy)
            _ = try await fleet.groups.put(
                try Self.name("more"),
                GroupDefinition(
                    registry: "central", artifacts: [], proxy: GroupProxy(repositories: [apps, library], tagTTL: 60)))

            _ = try await fleet.satellites.create(SatelliteDefinition(name: "s1", groups: ["edge", "proxied", "more"]))
            let state = try await fleet.desiredState(of: try Self.name("s1"))
            try state.validate()
            #expect(
                state.proxy == [DesiredState.ProxyRule(upstream: "central", repositories: [apps, library], tagTTL: 60)])
            _ = try await fleet.satellites.create(SatelliteDefinition(name: "s2", groups: ["edge"]))
            #expect(try await fleet.desiredState(of: try Self.name("s2")).proxy == nil, "no rule: no pull-through")

            await expectFailure(.invalidField) {
                _ = try await fleet.groups.put(
                    try Self.name("bad"),
                    GroupDefinition(registry: "central", artifacts: [], proxy: GroupProxy(repositories: [])))
            }
            await expectFailure(.invalidField) {
                _ = try await fleet.groups.put(
                    try Self.name("bad"),
                    GroupDefinition(
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
            let first =
                """
                -----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END \
                PUBLIC KEY-----\n
                """
            let second =
                """
                -----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END \
                PUBLIC KEY-----\n
                """
            let library = try RepositoryPattern("library/*")
            _ = try await fleet.groups.put(
                try Self.name("signed"),
                GroupDefinition(
                    registry: "central", artifacts: [try Self.artifact("apps/db", tag: "v1")],
                    proxy: GroupProxy(repositories: [library]),
                    verification: .init(keys: [first], required: false)))
            _ = try await fleet.groups.put(
                try Self.name("strict"),
                GroupDefinition(
                    registry: "central", artifacts: [], proxy: GroupProxy(repositories: [library]),
                    verification: .init(keys: [second, first])))
            _ = try await fleet.satellites.create(
                SatelliteDefinition(name: "s1", groups: ["edge", "signed", "strict"]))
            let state = try await fleet.desiredState(of: try Self.name("s1"))
            try state.validate()
            #expect(
                state.artifacts.first { $0.repository.value == "apps/db" }?.verification
                    == .init(keys: [first], required: false))
            #expect(
                state.artifacts.first { $0.repository.value == "library/alpine" }?.verification == nil,
                "another group's artifact")
            #expect(state.proxy?.first?.verification == .init(keys: [first, second], required: true))
        }
    }
}

extension FleetContractTests {
    /// A satellite in several pull-through groups of one registry follows one merged rule, which
    /// a state allows 16 keys: a group that would take the registry's pull-through groups past
    /// that is refused, naming the count; groups without pull-through are not counted.
    @Test(arguments: Backend.allCases)
    func pullThroughGroupsOfARegistryTrustAtMostSixteenKeysBetweenThem(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, _ in
            try await Self.seed(fleet)
            let keys = (0..<17).map { _ in Self.ed25519PEM() }
            let proxy = GroupProxy(repositories: [try RepositoryPattern("library/*")])
            func put(_ name: String, _ keys: ArraySlice<String>, proxy: GroupProxy?) async throws {
                _ = try await fleet.groups.put(
                    try Self.name(name),
                    GroupDefinition(
                        registry: "central", artifacts: [], proxy: proxy,
                        verification: DesiredState.Verification(keys: Array(keys))))
            }
            try await put("first", keys[0..<10], proxy: proxy)
            try await put("plain", keys[0..<16], proxy: nil)
            await expectFailure(.invalidField) { try await put("second", keys[10..<17], proxy: proxy) }
            try await put("second", keys[10..<16], proxy: proxy)
            // Changing a group is counted without its own old keys.
            try await put("second", keys[9..<15], proxy: proxy)
            _ = try await fleet.satellites.create(
                SatelliteDefinition(name: "s1", groups: ["first", "second", "plain"]))
            let state = try await fleet.desiredState(of: try Self.name("s1"))
            try state.validate()
            #expect(state.proxy?.first?.verification?.keys.count == 15)
        }
    }

    /// A fresh Ed25519 public key as PEM (SubjectPublicKeyInfo).
    static func ed25519PEM() -> String {
        let prefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]
        let key = (0..<32).map { _ in UInt8.random(in: 0...255) }
        return "-----BEGIN PUBLIC KEY-----\n\(Data(prefix + key).base64EncodedString())\n-----END PUBLIC KEY-----\n"
    }
}
