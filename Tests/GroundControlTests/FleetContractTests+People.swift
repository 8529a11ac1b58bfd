import FleetDomain
import Foundation
import GroundControl
import SatelliteProtocol
import Testing

extension FleetContractTests {
    /// People on both databases: passwords and tokens kept only as hashes, tokens that expire or
    /// go with their person, roles that change.
    @Test(arguments: Backend.allCases)
    func peopleLogInWithPasswordsAndTokensKeptOnlyAsHashes(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, clock in
            let password = "correct horse battery"
            try await fleet.people.put(try Self.name("olga"), role: .operator, password: password, by: .admin)
            await expectFailure(.invalidField) {
                try await fleet.people.put(try Self.name("short"), role: .viewer, password: "tiny", by: .admin)
            }
            #expect(
                try await fleet.people.principal(user: try Self.name("olga"), password: password)
                    == Principal(actor: .user("olga"), role: .operator))
            #expect(try await fleet.people.principal(user: try Self.name("olga"), password: password + "!") == nil)
            #expect(try await fleet.people.principal(user: try Self.name("nobody"), password: password) == nil)

            let token = try await fleet.people.issueToken(for: "olga", description: "laptop", days: 2)
            #expect(token.token.hasPrefix("gcp_"))
            #expect(try await fleet.people.principal(token: token.token)?.actor == .user("olga"))
            await expectFailure(.invalidField) {
                _ = try await fleet.people.issueToken(for: "olga", description: nil, days: 400)
            }
            // Neither secret is kept as given.
            let dump = try await Self.text(of: ["users", "user_tokens", "audit_log"], in: fleet)
            #expect(!dump.contains(password) && !dump.contains(token.token) && dump.contains("scrypt$"))

            // A changed role counts at once; an expired token no longer does.
            try await fleet.people.put(try Self.name("olga"), role: .viewer, password: nil, by: .admin)
            #expect(try await fleet.people.principal(token: token.token)?.role == .viewer)
            #expect(
                try await fleet.people.principal(user: try Self.name("olga"), password: password) != nil,
                "the password stays when none is given")
            clock.advance(3 * 86400)
            #expect(try await fleet.people.principal(token: token.token) == nil)

            // Deleted, a person's tokens go with them.
            let fresh = try await fleet.people.issueToken(for: "olga", description: nil, days: nil)
            #expect(try await fleet.people.all().first?.tokens == 1)
            try await fleet.people.delete(try Self.name("olga"), by: .user("root"))
            #expect(try await fleet.people.principal(token: fresh.token) == nil)
            #expect(try await fleet.auditLog().contains { $0.actor == "user:root" && $0.action == "user.delete" })
        }
    }

    /// Every value of `tables`, as text: to show what the store keeps (all of it, in memory).
    static func text(of tables: [String], in fleet: Fleet) async throws -> String {
        guard let database = fleet.store as? any SQLFleetStore else {
            return (fleet.store as? InMemoryFleetStore)?.contents ?? ""
        }
        return try await database.readSQL { session in
            var out = ""
            for table in tables {
                for row in try await session.query("SELECT * FROM \(table)") {
                    out += row.values.map { "\($0)" }.joined(separator: " ") + "\n"
                }
            }
            return out
        }
    }
}

extension FleetContractTests {
    /// Wrong passwords are counted in the database: two Fleets on one store (as two processes on
    /// one PostgreSQL) share the count, the lock ends fifteen minutes after the first of the five,
    /// and a right password forgives what came before.
    @Test(arguments: Backend.allCases)
    func wrongPasswordsLockANameOutForEveryProcessOnTheDatabase(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, clock in
            let other = Fleet(store: fleet.store, now: { clock.now })
            let first = clock.now
            for attempt in 0..<PeopleService.loginAttempts {
                #expect(try await fleet.people.loginLockedUntil("olga") == nil, "attempt \(attempt)")
                try await (attempt.isMultiple(of: 2) ? fleet : other).people.recordLoginFailure("olga")
                clock.advance(60)
            }
            #expect(
                try await other.people.loginLockedUntil("olga") == first.addingTimeInterval(PeopleService.loginWindow))
            #expect(try await fleet.people.loginLockedUntil("vera") == nil, "another name is not locked")
            clock.advance(PeopleService.loginWindow - 5 * 60 + 1)
            #expect(try await fleet.people.loginLockedUntil("olga") == nil, "the first failure is out of the window")

            try await fleet.people.recordLoginFailure("vera")
            try await fleet.people.clearLoginFailures("vera")
            for _ in 1..<PeopleService.loginAttempts { try await other.people.recordLoginFailure("vera") }
            #expect(
                try await fleet.people.loginLockedUntil("vera") == nil, "a right password forgave the first failure")
            #expect(try await Self.text(of: ["login_failures"], in: fleet).contains("vera"))
        }
    }
}
