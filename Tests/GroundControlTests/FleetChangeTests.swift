import FleetAPI
import FleetDomain
import Foundation
import GroundControl
import Logging
import SatelliteProtocol
import Synchronization
import TestSupport
import Testing

/// The fleet's changes as its services make them, on the in-memory store (no database): what
/// each change touches, what follows from it, and who hears of it.
@Suite("Fleet changes")
struct FleetChangeTests {
    /// Every change the fleet publishes, in order.
    final class Heard: Sendable {
        private let changes = Mutex<[FleetChange]>([])

        init(_ fleet: Fleet) {
            fleet.observers.observe { [self] change in changes.withLock { $0.append(change) } }
        }

        /// What was heard since the last look.
        func take() -> [FleetChange] {
            changes.withLock { heard in
                defer { heard = [] }; return heard
            }
        }
    }

    static func register(
        _ fleet: Fleet, _ name: String, groups: [String] = ["edge"], labels: [String: String] = [:]
    ) async throws {
        let token = try await fleet.satellites.create(SatelliteDefinition(name: name, groups: groups, labels: labels))
        _ = try await fleet.register(token: token.token, publicKey: "k")
    }

    @Test func everyChangeIsHeardOnceWithWhatItTouchedAndAFailedOneNotAtAll() async throws {
        try await withFleet(.inMemory) { fleet, _ in
            let heard = Heard(fleet)
            try await FleetContractTests.seed(fleet)
            // A registry and a group each take a revision and ask for their tags to be resolved.
            #expect(heard.take().map(\.resolveTags) == [true, true])

            try await Self.register(fleet, "s1")
            let registered = heard.take()
            #expect(registered.count == 2 && registered.allSatisfy { $0.satellites == ["s1"] && $0.revision != nil })

            // A refused change leaves nothing behind and is not heard of.
            let revision = try await fleet.revision()
            let audited = try await fleet.auditLog().count
            await expectFailure(.groupUnknown) {
                try await fleet.satellites.addGroup(try ResourceName("nowhere"), to: try ResourceName("s1"))
            }
            #expect(heard.take().isEmpty)
            #expect(try await fleet.revision() == revision)
            #expect(try await fleet.auditLog().count == audited)

            // A change no desired state depends on takes no revision: nobody is woken for it.
            try await fleet.people.put(try ResourceName("olga"), role: .viewer, password: nil, by: .admin)
            #expect(heard.take() == [FleetChange()])
            #expect(try await fleet.revision() == revision)
        }
    }

    @Test func aRevokedSatellitesSiteMovesItsEpochAndStampsEveryMember() async throws {
        try await withFleet(.inMemory) { fleet, _ in
            try await FleetContractTests.seed(fleet)
            for name in ["s1", "s2", "s3"] { try await Self.register(fleet, name, labels: ["site": "store-7"]) }
            try await Self.register(fleet, "elsewhere")
            let epoch = try #require(try await fleet.stateInputs(of: try ResourceName("s2")).site?.epoch)
            let heard = Heard(fleet)

            try await fleet.satellites.revoke(try ResourceName("s1"))
            let change = try #require(heard.take().first)
            #expect(change.satellites == ["s1", "s2", "s3"])
            // Two steps: no credential the revoked member held still works at the site.
            #expect(try await fleet.stateInputs(of: try ResourceName("s2")).site?.epoch == epoch + 2)
            for name in ["s1", "s2", "s3"] {
                #expect(try await fleet.stateInputs(of: try ResourceName(name)).revision == change.revision)
            }
            #expect(try await fleet.stateInputs(of: try ResourceName("elsewhere")).revision != change.revision)
        }
    }

    @Test func aRegistryWhoseRobotsAreStillInHarborIsNotDeleted() async throws {
        try await withFleet(.inMemory) { fleet, _ in
            let harbor = try ResourceName("harbor")
            _ = try await fleet.registries.put(
                harbor,
                RegistryDefinition(url: "https://harbor.example", kind: "harbor", username: "admin", password: "p"))
            try await fleet.robots.save(RobotRow(registry: "harbor", satellite: "s1", slot: "a"), issue: true)
            await expectFailure(.inUse) { try await fleet.registries.delete(harbor) }
            #expect(try await fleet.registries.all().map(\.name) == ["harbor"])
        }
    }

    /// The long-polls a change wakes, through the same watcher and cache the server uses.
    @Test func aGroupChangeWakesExactlyItsMembers() async throws {
        try await withFleet(.inMemory) { fleet, _ in
            try await FleetContractTests.seed(fleet)
            _ = try await fleet.groups.put(
                try ResourceName("other"),
                GroupDefinition(
                    registry: "central",
                    artifacts: [
                        try FleetContractTests.artifact("apps/db", digest: FleetContractTests.digest)
                    ]))
            try await Self.register(fleet, "in-edge")
            try await Self.register(fleet, "in-other", groups: ["other"])
            try await Self.register(fleet, "in-none", groups: [])

            let cache = FleetCache(fleet: fleet, keys: SigningKeys())
            let watcher = RevisionWatcher(fleet: fleet, interval: .seconds(3600), logger: Logger(label: "test"))
            await watcher.narrowWakeUps { from, to in await cache.affectedSatellites(from: from, to: to) }
            fleet.observers.observe { change in if change.revision != nil { await watcher.poll() } }
            // Running, it ends the waits whose time is up (it reads the revision only when poked).
            let running = Task { try await watcher.run() }
            defer { running.cancel() }
            await watcher.poll()
            let revision = await watcher.current
            _ = try await cache.configuration(key: revision)

            async let edge = watcher.waitForChange(from: revision, satellite: "in-edge", timeout: .seconds(30))
            async let other = watcher.waitForChange(from: revision, satellite: "in-other", timeout: .seconds(2))
            async let none = watcher.waitForChange(from: revision, satellite: "in-none", timeout: .seconds(2))
            try await poll("the three long-polls to wait") { await watcher.waiting == 3 }
            _ = try await fleet.groups.put(
                try ResourceName("edge"),
                GroupDefinition(
                    registry: "central",
                    artifacts: [
                        try FleetContractTests.artifact(
                            "apps/web", digest: "sha256:" + String(repeating: "cd", count: 32))
                    ]))
            #expect(await edge == true)
            #expect(await other == false)
            #expect(await none == false)
        }
    }
}
