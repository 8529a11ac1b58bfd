import Crypto
import Foundation
import SatelliteProtocol

extension Fleet {
    /// Exchanges a one-time registration token for the satellite's credential. The token stops
    /// working in the same statement that hands out the credential, so it works exactly once.
    public func register(token: String, publicKey: String) async throws -> RegistrationResponse {
        let tokenHash = Secret.hash(token)
        let credential = Secret.make(prefix: Secret.credentialPrefix)
        let at = Self.milliseconds(now())
        return try await store.transaction { session in
            guard let row = try await session.query(
                "SELECT name, token_expires_at, settings FROM satellites WHERE token_hash = ?", .text(tokenHash)).first
            else {
                throw GroundControlError(.tokenInvalid, "token: unknown or already used; ask for a new one (satctl satellites token NAME)")
            }
            let name = try row.text("name")
            guard let expires = try row.optionalInteger("token_expires_at"), expires > at else {
                throw GroundControlError(.tokenExpired, "token: expired; ask for a new one (satctl satellites token \(name))")
            }
            let updated = try await session.query(
                """
                UPDATE satellites SET token_hash = NULL, token_expires_at = NULL, credential_hash = ?,
                    next_credential_hash = NULL, rotate_requested = 0, status = 'registered', registered_at = ?,
                    advertised_url = NULL, approved = token_approved
                WHERE name = ? AND token_hash = ? RETURNING name
                """, .text(Secret.hash(credential)), .integer(at), .text(name), .text(tokenHash))
            guard !updated.isEmpty else {
                throw GroundControlError(.tokenInvalid, "token: unknown or already used; ask for a new one (satctl satellites token \(name))")
            }
            try await touch(try ResourceName(name), session)
            try await audit(session, .satellite(name), "satellite.register", name)
            try await startHealth(of: name, session)
            try await emit(session, .satelliteRegistered, subject: name)
            let settings = try Self.decode(SatelliteSettings.self, try row.text("settings"))
            return RegistrationResponse(name: name, credential: credential, publicKey: publicKey, settings: settings)
        }
    }

    /// Who a credential belongs to, and the satellite's revision when it was checked.
    public struct SatelliteIdentity: Sendable, Equatable {
        public let name: ResourceName
        public let revision: Int64
        /// This use retired the previous credential (so caches of it must be dropped).
        public var retiredPrevious = false
    }

    /// The satellite a credential belongs to. The first use of a rotated credential retires the old one.
    public func authenticateSatellite(credential: String) async throws -> SatelliteIdentity {
        let hash = Secret.hash(credential)
        let row = try await store.read { session in
            try await session.query(
                """
                SELECT name, revision, CASE WHEN next_credential_hash = ? THEN 1 ELSE 0 END AS is_next FROM satellites
                WHERE credential_hash = ? OR next_credential_hash = ?
                """, .text(hash), .text(hash), .text(hash)).first
        }
        guard let row else { throw GroundControlError(.unauthorized, "the satellite credential is unknown or revoked") }
        let name = try ResourceName(try row.text("name"))
        guard try row.bool("is_next") else { return SatelliteIdentity(name: name, revision: try row.integer("revision")) }
        let revision = try await store.transaction { session in
            try await session.query(
                "UPDATE satellites SET credential_hash = next_credential_hash, next_credential_hash = NULL WHERE name = ? AND next_credential_hash = ?",
                .text(name.value), .text(hash))
            try await touch(name, session)
            try await audit(session, .satellite(name.value), "satellite.credential.rotated", name.value)
            return try await session.query("SELECT revision FROM satellites WHERE name = ?", .text(name.value)).first?.integer("revision") ?? 0
        }
        return SatelliteIdentity(name: name, revision: revision, retiredPrevious: true)
    }

    /// Sets the admin token's hash from `environmentToken`, or makes a token on first start.
    /// Returns a newly made token, which the caller shows once; it is never stored in clear.
    public func ensureAdminToken(environmentToken: String?) async throws -> String? {
        if let environmentToken, !environmentToken.isEmpty {
            _ = try await store.transaction { session in
                try await session.query(
                    "INSERT INTO fleet_meta (key, value) VALUES ('admin_token_hash', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    .text(Secret.hash(environmentToken)))
            }
            return nil
        }
        let token = Secret.make(prefix: Secret.adminPrefix)
        let inserted = try await store.transaction { session in
            try await session.query(
                "INSERT INTO fleet_meta (key, value) VALUES ('admin_token_hash', ?) ON CONFLICT (key) DO NOTHING RETURNING key",
                .text(Secret.hash(token)))
        }
        return inserted.isEmpty ? nil : token
    }

    public func isAdmin(token: String) async throws -> Bool {
        let stored = try await store.read { session in
            try await session.query("SELECT value FROM fleet_meta WHERE key = 'admin_token_hash'").first?.text("value")
        }
        return stored == Secret.hash(token)
    }

    /// The Ed25519 key that signs desired states, made on first start and shared by every process
    /// on the database (a satellite checks signatures against the key it got when registering).
    public func signingKey() async throws -> Curve25519.Signing.PrivateKey {
        let candidate = Curve25519.Signing.PrivateKey().rawRepresentation.base64EncodedString()
        let stored = try await store.transaction { session in
            try await session.query(
                "INSERT INTO fleet_meta (key, value) VALUES ('signing_key', ?) ON CONFLICT (key) DO NOTHING",
                .text(candidate))
            return try await session.query("SELECT value FROM fleet_meta WHERE key = 'signing_key'").first?.text("value")
        }
        guard let stored, let raw = Data(base64Encoded: stored),
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else {
            throw FleetStoreError.corrupt("fleet_meta.signing_key is not an Ed25519 key")
        }
        return key
    }
}
