import FleetAPI
import FleetDomain
import Foundation
import GroundControl
import OCI
import SatelliteProtocol
import Testing

/// The fleet's behaviour, identical on SQLite and PostgreSQL.
@Suite("Fleet contract")
struct FleetContractTests {
    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    static func name(_ raw: String) throws -> ResourceName { try ResourceName(raw) }

    static func artifact(_ repository: String, tag: String? = nil, digest: String? = nil) throws -> GroupArtifact {
        GroupArtifact(
            repository: try RepositoryName(repository), tag: try tag.map { try Tag($0) },
            digest: try digest.map { try Digest($0) })
    }

    /// A registry `central` and a group `edge` with one tag and one digest.
    static func seed(_ fleet: Fleet) async throws {
        _ = try await fleet.registries.put(
            try name("central"), RegistryDefinition(url: "http://127.0.0.1:5000", username: "robot", password: "s3cret")
        )
        _ = try await fleet.groups.put(
            try name("edge"),
            GroupDefinition(
                registry: "central",
                artifacts: [
                    try artifact("library/alpine", tag: "3.20"), try artifact("apps/web", digest: digest),
                ]))
    }

    @Test(arguments: Backend.allCases)
    func registriesAreCreatedReplacedListedAndDeleted(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, _ in
            let (created, isNew) = try await fleet.registries.put(
                try Self.name("central"), RegistryDefinition(url: "http://a:5000", username: "u", password: "p"))
            #expect(isNew && created.passwordSet && created.kind == "oci")
            let (replaced, isNewAgain) = try await fleet.registries.put(
                try Self.name("central"), RegistryDefinition(url: "https://b", insecure: true))
            #expect(!isNewAgain && !replaced.passwordSet && replaced.insecure && replaced.url == "https://b")
            #expect(try await fleet.registries.all().map(\.name) == ["central"])
            try await fleet.registries.delete(try Self.name("central"))
            await expectFailure(.registryUnknown) { _ = try await fleet.registries.named(try Self.name("central")) }
            await expectFailure(.registryUnknown) { try await fleet.registries.delete(try Self.name("central")) }
        }
    }

    @Test(arguments: Backend.allCases)
    func badRegistriesAndGroupsAreRefusedAndNothingIsWritten(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, _ in
            let central = try Self.name("central")
            await expectFailure(.invalidField) {
                _ = try await fleet.registries.put(central, RegistryDefinition(url: "ftp://x"))
            }
            await expectFailure(.invalidField) {
                _ = try await fleet.registries.put(central, RegistryDefinition(url: "http://u:p@x"))
            }
            await expectFailure(.invalidField) {
                _ = try await fleet.registries.put(central, RegistryDefinition(url: "http://x", kind: "harbor"))
            }
            await expectFailure(.invalidField) {
                _ = try await fleet.registries.put(central, RegistryDefinition(url: "http://x", password: "p"))
            }
            #expect(try await fleet.registries.all().isEmpty)
            let revision = try await fleet.revision()

            await expectFailure(.registryUnknown) {
                _ = try await fleet.groups.put(
                    try Self.name("edge"), GroupDefinition(registry: "central", artifacts: []))
            }
            try await Self.seed(fleet)
            await expectFailure(.invalidName) {
                _ = try await fleet.groups.put(
                    try Self.name("edge"), GroupDefinition(registry: "Central!", artifacts: []))
            }
            await expectFailure(.invalidField) {
                _ = try await fleet.groups.put(
                    try Self.name("edge"), GroupDefinition(registry: "central", artifacts: [try Self.artifact("a")]))
            }
            await expectFailure(.duplicate) {
                let twice = try Self.artifact("a", tag: "1")
                _ = try await fleet.groups.put(
                    try Self.name("edge"), GroupDefinition(registry: "central", artifacts: [twice, twice]))
            }
            var bad = try Self.artifact("a", tag: "1")
            bad.platforms = ["linux"]
            await expectFailure(.invalidField) {
                _ = try await fleet.groups.put(
                    try Self.name("edge"), GroupDefinition(registry: "central", artifacts: [bad]))
            }
            // The seed took two revisions; the refusals took none and left the group as seeded.
            #expect(try await fleet.revision() == revision + 2)
            #expect(try await fleet.groups.named(try Self.name("edge")).artifacts.count == 2)
            await expectFailure(.inUse) { try await fleet.registries.delete(try Self.name("central")) }
        }
    }

    @Test(arguments: Backend.allCases)
    func satellitesNeedKnownGroupsAndUniqueNames(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, _ in
            try await Self.seed(fleet)
            await expectFailure(.groupUnknown) {
                _ = try await fleet.satellites.create(SatelliteDefinition(name: "s1", groups: ["edge", "nope"]))
            }
            #expect(try await fleet.satellites.all().isEmpty)
            await expectFailure(.invalidName) {
                _ = try await fleet.satellites.create(SatelliteDefinition(name: "S 1", groups: []))
            }
            await expectFailure(.duplicate) {
                _ = try await fleet.satellites.create(SatelliteDefinition(name: "s1", groups: ["edge", "edge"]))
            }
            await expectFailure(.invalidField) {
                _ = try await fleet.satellites.create(
                    SatelliteDefinition(
                        name: "s1", groups: [],
                        settings: SatelliteSettings(
                            syncIntervalSeconds: 0, heartbeatIntervalSeconds: 30, logLevel: "info")))
            }
            let token = try await fleet.satellites.create(
                SatelliteDefinition(name: "s1", groups: ["edge"], labels: ["site": "hamburg"]))
            #expect(token.token.hasPrefix("gcr_") && token.name == "s1")
            await expectFailure(.duplicate) {
                _ = try await fleet.satellites.create(SatelliteDefinition(name: "s1", groups: []))
            }
            let view = try await fleet.satellites.named(try Self.name("s1"))
            #expect(view.state == "pending" && view.groups == ["edge"] && view.labels == ["site": "hamburg"])
            await expectFailure(.inUse) { try await fleet.groups.delete(try Self.name("edge")) }
        }
    }

    @Test(arguments: Backend.allCases)
    func aTokenRegistersOnceAndExpires(_ backend: Backend) async throws {
        try await withFleet(backend, tokenLifetime: 600) { fleet, clock in
            try await Self.seed(fleet)
            let token = try await fleet.satellites.create(SatelliteDefinition(name: "s1", groups: ["edge"]))
            let registration = try await fleet.register(token: token.token, publicKey: "key")
            #expect(
                registration.name == "s1" && registration.credential.hasPrefix("gcs_")
                    && registration.publicKey == "key")
            #expect(try await fleet.authenticateSatellite(credential: registration.credential).name.value == "s1")
            await expectFailure(.tokenInvalid) { _ = try await fleet.register(token: token.token, publicKey: "key") }
            await expectFailure(.unauthorized) { _ = try await fleet.authenticateSatellite(credential: token.token) }

            let late = try await fleet.satellites.create(SatelliteDefinition(name: "s2", groups: []))
            clock.advance(601)
            await expectFailure(.tokenExpired) { _ = try await fleet.register(token: late.token, publicKey: "key") }
            #expect(try await fleet.satellites.named(try Self.name("s2")).state == "pending")
        }
    }

    @Test(arguments: Backend.allCases)
    func concurrentRegistrationsWithOneTokenYieldOneCredential(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, _ in
            let token = try await fleet.satellites.create(SatelliteDefinition(name: "s1", groups: []))
            let successes = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 {
                    group.addTask { (try? await fleet.register(token: token.token, publicKey: "k")) != nil }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(successes == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func revokedSatellitesLoseAccessUntilReissued(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, _ in
            let token = try await fleet.satellites.create(SatelliteDefinition(name: "s1", groups: []))
            let credential = try await fleet.register(token: token.token, publicKey: "k").credential
            try await fleet.satellites.revoke(try Self.name("s1"))
            await expectFailure(.unauthorized) { _ = try await fleet.authenticateSatellite(credential: credential) }
            #expect(try await fleet.satellites.named(try Self.name("s1")).state == "revoked")
            await expectFailure(.revoked) {
                _ = try await fleet.satellites.recordHeartbeat(
                    try Self.name("s1"), StatusReport(generation: 0, inventory: []))
            }

            let again = try await fleet.satellites.issueToken(try Self.name("s1"))
            #expect(try await fleet.satellites.named(try Self.name("s1")).state == "pending")
            let fresh = try await fleet.register(token: again.token, publicKey: "k").credential
            #expect(try await fleet.authenticateSatellite(credential: fresh).name.value == "s1")
            await expectFailure(.satelliteUnknown) { try await fleet.satellites.revoke(try Self.name("nope")) }
        }
    }

    @Test(arguments: Backend.allCases)
    func rotationHandsOutANewCredentialAndRetiresTheOldOnFirstUse(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, _ in
            let token = try await fleet.satellites.create(SatelliteDefinition(name: "s1", groups: []))
            let old = try await fleet.register(token: token.token, publicKey: "k").credential
            let s1 = try Self.name("s1")
            try await fleet.satellites.requestRotation(s1)
            let reply = try await fleet.satellites.recordHeartbeat(s1, StatusReport(generation: 0, inventory: []))
            let command = try #require(reply.commands.first)
            #expect(command.type == SatelliteInstruction.rotateCredential)
            let new = try #require(command.credential)
            #expect(
                try await fleet.satellites.recordHeartbeat(s1, StatusReport(generation: 0, inventory: [])).commands
                    .isEmpty)
            // Both work until the new one is used; then only the new one.
            #expect(try await fleet.authenticateSatellite(credential: old).name.value == "s1")
            #expect(try await fleet.authenticateSatellite(credential: new).name.value == "s1")
            await expectFailure(.unauthorized) { _ = try await fleet.authenticateSatellite(credential: old) }
            #expect(try await fleet.authenticateSatellite(credential: new).name.value == "s1")
        }
    }

    @Test(arguments: Backend.allCases)
    func theGenerationRisesOnlyWithChangesThatReachTheSatellite(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, _ in
            try await Self.seed(fleet)
            _ = try await fleet.registries.put(try Self.name("other"), RegistryDefinition(url: "http://other"))
            _ = try await fleet.groups.put(
                try Self.name("unrelated"), GroupDefinition(registry: "other", artifacts: []))
            _ = try await fleet.satellites.create(SatelliteDefinition(name: "s1", groups: ["edge"]))
            let s1 = try Self.name("s1")
            var last = try await fleet.generation(of: s1)

            func expectRise(_ change: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                let now = try await fleet.generation(of: s1)
                #expect(now > last, "\(change) should raise the generation", sourceLocation: sourceLocation)
                last = now
            }
            _ = try await fleet.groups.put(
                try Self.name("unrelated"),
                GroupDefinition(registry: "other", artifacts: [try Self.artifact("x", tag: "1")]))
            #expect(try await fleet.generation(of: s1) == last, "a group s1 is not in")
            _ = try await fleet.groups.put(
                try Self.name("edge"),
                GroupDefinition(registry: "central", artifacts: [try Self.artifact("library/alpine", tag: "3.21")]))
            try await expectRise("a group change")
            _ = try await fleet.registries.put(
                try Self.name("central"), RegistryDefinition(url: "http://127.0.0.1:5001"))
            try await expectRise("a registry change")
            try await fleet.satellites.addGroup(try Self.name("unrelated"), to: s1)
            try await expectRise("joining a group")
            try await fleet.satellites.removeGroup(try Self.name("unrelated"), from: s1)
            try await expectRise("leaving a group")
            try await fleet.satellites.updateSettings(
                SatelliteSettings(syncIntervalSeconds: 5, heartbeatIntervalSeconds: 10, logLevel: "debug"), of: s1)
            try await expectRise("new settings")
            #expect(try await fleet.desiredState(of: s1).generation == last)
        }
    }

    @Test(arguments: Backend.allCases)
    func theDesiredStateIsTheUnionOfTheGroupsWithCredentialsAndResolvedDigests(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, _ in
            try await Self.seed(fleet)
            _ = try await fleet.groups.put(
                try Self.name("extra"),
                GroupDefinition(
                    registry: "central",
                    artifacts: [
                        try Self.artifact("apps/web", digest: Self.digest), try Self.artifact("tools/debug", tag: "1"),
                    ]))
            _ = try await fleet.satellites.create(SatelliteDefinition(name: "s1", groups: ["edge", "extra"]))
            let state = try await fleet.desiredState(of: try Self.name("s1"))
            try state.validate()
            #expect(
                state.upstreams == [
                    DesiredState.Upstream(
                        name: "central", url: "http://127.0.0.1:5000", username: "robot", password: "s3cret")
                ])
            #expect(
                state.artifacts.map(\.reference) == ["library/alpine:3.20", "apps/web@\(Self.digest)", "tools/debug:1"])
            #expect(state.settings == .defaults)
        }
    }

    @Test(arguments: Backend.allCases)
    func heartbeatsMakeSatellitesOnlineThenStaleAndShowDrift(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, clock in
            try await Self.seed(fleet)
            let token = try await fleet.satellites.create(SatelliteDefinition(name: "s1", groups: ["edge"]))
            _ = try await fleet.register(token: token.token, publicKey: "k")
            let s1 = try Self.name("s1")
            let desired = try await fleet.generation(of: s1)
            let reply = try await fleet.satellites.recordHeartbeat(
                s1,
                StatusReport(
                    generation: desired - 1, inventory: [], diskUsedBytes: 10, diskFreeBytes: 20,
                    lastSync: SyncResult(succeeded: false, error: "upstream down"), version: "0.1.0"))
            #expect(reply.desiredGeneration == desired && reply.settings == .defaults)
            var view = try await fleet.satellites.named(s1)
            #expect(view.state == "online" && view.appliedGeneration == desired - 1 && view.drift.behind)
            #expect(
                view.drift.missing == [Self.digest] && view.diskFreeBytes == 20
                    && view.lastSync?.error == "upstream down")

            let cached = try Digest("sha256:" + String(repeating: "c", count: 64))
            _ = try await fleet.satellites.recordHeartbeat(
                s1, StatusReport(generation: desired, inventory: [try Digest(Self.digest)], cached: [cached]))
            view = try await fleet.satellites.named(s1)
            #expect(!view.drift.behind && view.drift.missing.isEmpty && view.cachedManifests == 1)
            clock.advance(89)
            #expect(try await fleet.satellites.named(s1).state == "online")
            clock.advance(2)
            #expect(try await fleet.satellites.all().first?.state == "stale")
            await expectFailure(.invalidField) {
                _ = try await fleet.satellites.recordHeartbeat(s1, StatusReport(generation: -1, inventory: []))
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func everyAdminChangeAndRegistrationIsAuditedWithoutSecrets(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, _ in
            try await Self.seed(fleet)
            let token = try await fleet.satellites.create(SatelliteDefinition(name: "s1", groups: ["edge"]))
            let credential = try await fleet.register(token: token.token, publicKey: "k").credential
            try await fleet.satellites.revoke(try Self.name("s1"))
            let entries = try await fleet.auditLog()
            #expect(
                entries.map(\.action) == [
                    "satellite.revoke", "satellite.register", "satellite.create", "group.put", "registry.put",
                ])
            #expect(entries[1].actor == "satellite:s1" && entries[0].actor == "admin")
            let text = entries.map { "\($0)" }.joined()
            #expect(!text.contains("s3cret") && !text.contains(token.token) && !text.contains(credential))
            #expect(
                try await fleet.auditLog(limit: 2, before: entries[1].id).map(\.action) == [
                    "satellite.create", "group.put",
                ])
        }
    }

    @Test(arguments: Backend.allCases)
    func adminTokenAndSigningKeyAreMadeOnceAndKeptAsHashOrKey(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, _ in
            let made = try #require(try await fleet.ensureAdminToken(environmentToken: nil))
            #expect(try await fleet.ensureAdminToken(environmentToken: nil) == nil)
            #expect(try await fleet.isAdmin(token: made))
            #expect(try await !fleet.isAdmin(token: made + "x"))
            _ = try await fleet.ensureAdminToken(environmentToken: "from-environment")
            #expect(try await fleet.isAdmin(token: "from-environment"))
            #expect(try await !fleet.isAdmin(token: made))
            let key = try await fleet.signingKey()
            #expect(try await fleet.signingKey().rawRepresentation == key.rawRepresentation)
            try await fleet.prepare()  // migrating again changes nothing
        }
    }
}

extension FleetContractTests {
    @Test(arguments: Backend.allCases)
    func aGroupEditBasedOnAnOldRevisionIsRefused(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, _ in
            try await Self.seed(fleet)
            let edge = try Self.name("edge")
            let read = try await fleet.groups.named(edge)
            let (updated, _) = try await fleet.groups.put(
                edge, GroupDefinition(registry: "central", artifacts: [try Self.artifact("a", tag: "1")]),
                expectedRevision: read.revision)
            await expectFailure(.changed) {
                _ = try await fleet.groups.put(
                    edge, GroupDefinition(registry: "central", artifacts: []), expectedRevision: read.revision)
            }
            #expect(try await fleet.groups.named(edge).artifacts.count == 1)
            #expect(try await fleet.groups.named(edge).revision == updated.revision)
        }
    }
}
