import Crypto
import FleetAPI
import FleetDomain
import Foundation
import Logging
import TestSupport
import Testing

/// Registry passwords, subscription secrets and the signing key are kept only sealed, on both
/// databases: what the fleet reads back is what was given, the stored text is not.
@Suite struct SecretsAtRestTests {
    static let password = "central-registry-password"
    static let subscriptionSecret = "subscription-secret-0123456789"

    /// A store on `backend` sealing with `secrets`, prepared; the same database each time for a
    /// given `directory` and `url`.
    static func store(
        _ backend: Backend, in directory: TemporaryDirectory, url: String?, secrets: SecretSealer
    ) throws -> any SQLFleetStore {
        if let url {
            var logger = Logger(label: "test-postgres")
            logger.logLevel = .error
            return try PostgresFleetStore(url: url, secrets: secrets, logger: logger)
        }
        return try SQLiteFleetStore(path: directory.appending("fleet.sqlite"), secrets: secrets)
    }

    typealias Opener = @Sendable (SecretSealer) throws -> any SQLFleetStore

    /// Runs `body` on a new database of `backend` holding the seeded secrets under the test key,
    /// its store's service running; `open` opens the same database with a given key.
    static func withSeededFleet(
        _ backend: Backend, _ body: @Sendable (any SQLFleetStore, Fleet, _ open: Opener) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory("secrets-at-rest")
        defer { directory.remove() }
        let url = backend == .postgres ? try await PostgresServer.shared.makeDatabase() : nil
        let open: Opener = { secrets in try Self.store(backend, in: directory, url: url, secrets: secrets) }
        let store = try open(.forTests)
        try await running(store) {
            let fleet = Fleet(store: store, eventTargets: EventTargetPolicy(allowedHosts: ["127.0.0.1"]))
            try await fleet.prepare()
            try await seed(fleet)
            try await body(store, fleet, open)
        }
    }

    /// Runs `body` with `store`'s service running.
    @discardableResult
    static func running<T: Sendable>(
        _ store: any SQLFleetStore, _ body: @Sendable () async throws -> T
    ) async throws -> T {
        let service = Task { try await store.run() }
        defer { service.cancel() }
        return try await body()
    }

    /// Every value of the sealed columns, as stored (of `fleet_meta`, the secrets').
    static func stored(_ store: any SQLFleetStore) async throws -> [String] {
        try await store.readSQL { session in
            var values: [String] = []
            for (table, column, rows) in [
                ("registries", "password", ""), ("event_subscriptions", "secret", ""),
                ("fleet_meta", "value", " WHERE key IN ('signing_key', 'secret_key_check', 'ca_key')"),
            ] {
                for row in try await session.query("SELECT \(column) AS value FROM \(table)\(rows)") {
                    if let value = try row.optionalText("value") { values.append(value) }
                }
            }
            return values
        }
    }

    static func seed(_ fleet: Fleet) async throws {
        _ = try await fleet.registries.put(
            try ResourceName("central", kind: "registry"),
            RegistryDefinition(url: "http://127.0.0.1:5000", username: "robot", password: password))
        _ = try await fleet.events.putSubscription(
            try ResourceName("ops", kind: "subscription"),
            SubscriptionDefinition(url: "http://127.0.0.1:9/hook", secret: subscriptionSecret), by: .admin)
        _ = try await fleet.signingKey()
        _ = try await fleet.certificateAuthority()
    }

    @Test(arguments: Backend.databases)
    func secretsAreKeptOnlySealedAndReadBackAsGiven(_ backend: Backend) async throws {
        try await Self.withSeededFleet(backend) { store, fleet, _ in
            let signingKey = try await fleet.signingKey().rawRepresentation.base64EncodedString()
            let stored = try await Self.stored(store)
            #expect(stored.count == 5, "password, subscription secret, signing key, key check, CA key: \(stored)")
            let secrets = [Self.password, Self.subscriptionSecret, signingKey]
            for value in stored {
                #expect(SecretSealer.isSealed(value), "\(value)")
                #expect(!secrets.contains { value.contains($0) })
            }
            #expect(try await fleet.registries.record("central")?.password == Self.password)
            #expect(try await fleet.signingKey().rawRepresentation.base64EncodedString() == signingKey)
            // Delivery opens the subscription's secret: FleetEventsTests checks its signatures.
        }
    }

    /// A database from before sealing (or a value written plain by one) is sealed at the next start.
    @Test(arguments: Backend.databases)
    func plainValuesAreSealedAtStart(_ backend: Backend) async throws {
        try await Self.withSeededFleet(backend) { store, fleet, _ in
            try await Self.writePlain(store)
            #expect(try await Self.stored(store).contains(Self.password))
            try await fleet.prepare()
            #expect(try await Self.stored(store).allSatisfy(SecretSealer.isSealed))
            #expect(try await fleet.registries.record("central")?.password == Self.password)
        }
    }

    /// Started with another key, the store says which key the database wants and seals nothing.
    @Test(arguments: Backend.databases)
    func anotherKeyIsRefusedAtStartAndChangesNothing(_ backend: Backend) async throws {
        try await Self.withSeededFleet(backend) { store, _, open in
            try await Self.writePlain(store)
            let other = SecretSealer(key: SymmetricKey(size: .bits256))
            let second = try open(other)
            try await Self.running(second) {
                let error = await #expect(throws: FleetStoreError.self) { try await second.prepare() }
                #expect(error?.message.contains("sealed under secret key \(SecretSealer.forTests.keyID)") == true)
                #expect(error?.message.contains(other.keyID) == true, "\(String(describing: error))")
            }
            let stored = try await Self.stored(store)
            #expect(stored.contains(Self.password), "the plain value was left alone")
        }
    }

    /// A sealed value is bound to its row: copied to another registry, it does not open.
    @Test(arguments: Backend.databases)
    func aSealedValueMovedToAnotherRowDoesNotOpen(_ backend: Backend) async throws {
        try await Self.withSeededFleet(backend) { store, fleet, _ in
            _ = try await fleet.registries.put(
                try ResourceName("mirror", kind: "registry"),
                RegistryDefinition(url: "http://127.0.0.1:5001", username: "robot", password: "another-password"))
            try await store.transactionSQL { session in
                try await session.query(
                    "UPDATE registries SET password = (SELECT password FROM registries WHERE name = 'central') "
                        + "WHERE name = 'mirror'")
            }
            let error = await #expect(throws: FleetStoreError.self) { _ = try await fleet.registries.record("mirror") }
            #expect(error?.message.contains("registries.password:mirror cannot be opened") == true)
        }
    }

    /// `secrets rotate-key`: every secret moves to the new key; the old key no longer opens the
    /// database, and a key it was not written with rotates nothing.
    @Test(arguments: Backend.databases)
    func rotatingTheKeySealsEverySecretUnderTheNewOne(_ backend: Backend) async throws {
        try await Self.withSeededFleet(backend) { store, fleet, open in
            let new = SecretSealer(key: SymmetricKey(size: .bits256))
            let signingKey = try await fleet.signingKey().rawRepresentation
            #expect(try await SecretsAtRest.rotate(store, to: new) == 5)
            #expect(try await SecretsAtRest.rotate(store, to: new) == nil, "run again, it has nothing to do")
            await #expect(throws: FleetStoreError.self) { try await store.prepare() }

            let rotated = try open(new)
            try await Self.running(rotated) {
                let fleet = Fleet(store: rotated)
                try await fleet.prepare()
                #expect(try await fleet.registries.record("central")?.password == Self.password)
                #expect(try await fleet.signingKey().rawRepresentation == signingKey)
                _ = try await fleet.certificateAuthority()
                #expect(try await Self.stored(rotated).allSatisfy { $0.hasPrefix("gcs1:\(new.keyID):") })
            }
            await #expect(throws: FleetStoreError.self) {
                try await SecretsAtRest.rotate(store, to: SecretSealer(key: SymmetricKey(size: .bits256)))
            }
        }
    }

    /// Puts the seeded password and subscription secret back in clear, as a database from before.
    static func writePlain(_ store: any SQLFleetStore) async throws {
        try await store.transactionSQL { session in
            try await session.query("UPDATE registries SET password = ?", .text(password))
            try await session.query("UPDATE event_subscriptions SET secret = ?", .text(subscriptionSecret))
        }
    }
}
