import FleetAPI
import FleetDomain
import Foundation
import Testing

extension FleetContractTests {
    /// Satellites created together (issue 30: a hundred thousand registered in minutes): all or
    /// none, each refusal naming its entry, and each newcomer placed in an open rollout as one
    /// created alone would be.
    @Test(arguments: Backend.allCases)
    func satellitesCreatedTogetherAreAllOrNoneAndJoinAnOpenRollout(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, _ in
            let policy = "waves=1,50%,100%;soak=0;order=canary=true"
            try await Self.seedRollout(fleet, policy: policy)
            try await Self.putApps(fleet, digest: 1, policy: policy)
            func definition(_ name: String, groups: [String] = ["apps"]) -> SatelliteDefinition {
                SatelliteDefinition(name: name, groups: groups)
            }
            func refused(_ batch: [SatelliteDefinition], _ code: GroundControlError.Code, naming entry: String) async {
                do {
                    _ = try await fleet.satellites.create(batch: batch)
                    Issue.record("\(batch.map(\.name)) was taken")
                } catch let error as GroundControlError {
                    #expect(error.code == code && error.message.contains(entry), "\(error)")
                } catch {
                    Issue.record("\(error)")
                }
            }
            await refused([definition("n1"), definition("s2")], .duplicate, naming: "satellites[1]: satellite 's2'")
            await refused([definition("n1"), definition("n1")], .duplicate, naming: "satellites[1]: name")
            await refused(
                [definition("n1"), definition("n2"), definition("Bad Name")], .invalidName, naming: "satellites[2]")
            await refused([definition("n1", groups: ["nope"])], .groupUnknown, naming: "'nope'")
            await refused([], .invalidField, naming: "1 to 1000")
            await refused((0...1000).map { definition("m\($0)") }, .invalidField, naming: "not 1001")
            await expectFailure(.satelliteUnknown) { _ = try await fleet.satellites.named(try Self.name("n1")) }

            // Taken whole: a canary newcomer lands in the first wave (reached), the other in a later one.
            var canary = definition("c0")
            canary.labels = ["canary": "true"]
            let tokens = try await fleet.satellites.create(batch: [definition("s1b"), canary])
            #expect(tokens.map(\.name) == ["s1b", "c0"] && Set(tokens.map(\.token)).count == 2)
            for token in tokens { _ = try await fleet.register(token: token.token, publicKey: "k-\(token.name)") }
            let waves = try await fleet.rollouts.named("apps").progress
            #expect(waves.first?.members.contains("c0") == true, "\(waves)")
            #expect(waves.dropFirst().contains { $0.members.contains("s1b") }, "\(waves)")
            let held = { (name: String) in
                try await fleet.desiredState(of: try Self.name(name)).artifacts.compactMap(\.digest?.string)
            }
            #expect(try await held("c0") == [Self.digests[1]])
            #expect(try await held("s1b") == [Self.digests[0]])
            let audit = try await fleet.auditLog(filter: .init(action: "satellite.create")).map(\.target)
            #expect(audit.contains("s1b") && audit.contains("c0") && !audit.contains("n1"))
        }
    }
}
