import FleetAPI
import FleetDomain
import Foundation
import GroundControl
import SatelliteProtocol
import Testing

extension FleetContractTests {
    /// Issue 25.1, on each database: who issued a satellite's last token decides whether it is
    /// approved, for satellites enrolled from now on and for those already there at the upgrade
    /// (from the audit log).
    @Test(arguments: Backend.allCases)
    func aSatelliteIsApprovedOnlyWhenAnAdminIssuedItsToken(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, _ in
            try await Self.seed(fleet)
            _ = try await fleet.people.put(try Self.name("olga"), role: .operator, password: nil, by: .admin)
            _ = try await fleet.people.put(try Self.name("ada"), role: .admin, password: nil, by: .admin)
            let olga = Principal(actor: .user("olga"), role: .operator)
            let ada = Principal(actor: .user("ada"), role: .admin)
            for (name, principal) in [
                ("by-token", Principal.bootstrapAdmin), ("by-ada", ada), ("by-olga", olga), ("retokened", ada),
            ] {
                let token = try await fleet.satellites.create(
                    SatelliteDefinition(name: name, groups: ["edge"]), by: principal)
                _ = try await fleet.register(token: token.token, publicKey: "k")
            }
            // An operator's new token for a satellite an admin enrolled, used.
            _ = try await fleet.register(
                token: try await fleet.satellites.issueToken(try Self.name("retokened"), by: olga).token, publicKey: "k"
            )
            func awaiting() async throws -> [String] {
                try await fleet.satellites.all().filter { $0.awaitingApproval == true }.map(\.name).sorted()
            }
            #expect(try await awaiting() == ["by-olga", "retokened"])

            // The upgrade's view of the same fleet: everything unapproved, then the audit log
            // decides (a migration: only a database has one).
            if let database = fleet.store as? any SQLFleetStore {
                try await database.transactionSQL { session in
                    try await session.query("UPDATE satellites SET approved = 0, token_approved = 0")
                    try await session.query(FleetSchema.approvalFromTheAuditLog)
                }
                #expect(try await awaiting() == ["by-olga", "retokened"])
            }

            try await fleet.satellites.approve(try Self.name("by-olga"), by: ada)
            #expect(try await awaiting() == ["retokened"])
            await expectFailure(.forbidden) { try await fleet.satellites.approve(try Self.name("retokened"), by: olga) }
        }
    }
}
