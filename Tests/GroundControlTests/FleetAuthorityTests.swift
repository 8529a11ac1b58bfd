import FleetDomain
import FleetIdentity
import Foundation
import TestSupport
import Testing

/// Ground Control's certificate authority in the fleet: made once, shared by every process on
/// a database, its key kept sealed; an operator's given one used instead.
@Suite struct FleetAuthorityTests {
    @Test(arguments: Backend.allCases)
    func everyProcessOnADatabaseIssuesFromTheOneAuthorityMadeFirst(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, clock in
            let other = Fleet(store: fleet.store, now: { clock.now })
            async let first = fleet.certificateAuthority()
            async let second = other.certificateAuthority()
            let (a, b) = try await (first, second)
            #expect(a.certificate == b.certificate)
            #expect(try await fleet.certificateAuthority().certificate == a.certificate)
            #expect(try await fleet.auditLog().filter { $0.action == "authority.created" }.count == 1)

            let id = try SPIFFEID("spiffe://harbor-satellite.local/satellite/edge-01")
            let issued = try b.issue(
                try CertificateRequest(pem: try DeviceKey().request(for: id)), to: id, lifetime: 60, now: clock.now)
            #expect(try a.verify(issued.certificate, now: clock.now).id == id)

            if let database = fleet.store as? any SQLFleetStore {
                let key = try await database.readSQL { session in
                    try await session.query("SELECT value FROM fleet_meta WHERE key = 'ca_key'").first?.text("value")
                }
                #expect(key.map(SecretSealer.isSealed) == true)
            }
        }
    }

    @Test func anOperatorsAuthorityIsUsedAndNothingIsStored() async throws {
        let given = try CertificateAuthority.make(trustDomain: "example.org", now: Date())
        try await withFleet(.inMemory) { fleet, _ in
            let operated = Fleet(store: fleet.store, identity: IdentitySettings(givenAuthority: given))
            let used = try await operated.certificateAuthority()
            let audit = try await fleet.auditLog()
            #expect(used.certificate == given.certificate)
            #expect(!audit.contains { $0.action == "authority.created" })
        }
    }
}
