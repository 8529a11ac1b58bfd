import Crypto
import FleetAPI
import Foundation
import SatelliteProtocol

extension Fleet {
    /// Exchanges a one-time registration token for the satellite's credential. The token stops
    /// working in the same statement that hands out the credential, so it works exactly once.
    public func register(token: String, publicKey: String, csr: String? = nil) async throws -> RegistrationResponse {
        // A bad request is refused before the token is looked at, so it uses no token. Under an
        // operator's SPIFFE authority none is issued here: the satellite goes on with its SVID.
        let enrolment: Enrolment? =
            if let csr, identity.externalPattern == nil { try await Enrolment(csr: csr, fleet: self) } else { nil }
        let tokenHash = Secret.hash(token)
        let credential = Secret.make(prefix: Secret.credentialPrefix)
        let at = Self.milliseconds(now())
        return try await change(by: .groundControl) { changes in
            let records = changes.records
            guard let holder = try await records.satellites.tokenHolder(tokenHash: tokenHash) else {
                throw GroundControlError(
                    .tokenInvalid, "token: unknown or already used; ask for a new one (satctl satellites token NAME)")
            }
            let name = holder.name
            guard let expires = holder.expiresAt, expires > at else {
                throw GroundControlError(
                    .tokenExpired, "token: expired; ask for a new one (satctl satellites token \(name))")
            }
            guard
                try await records.satellites.register(
                    name, tokenHash: tokenHash, credentialHash: Secret.hash(credential), at: at)
            else {
                throw GroundControlError(
                    .tokenInvalid, "token: unknown or already used; ask for a new one (satctl satellites token \(name))"
                )
            }
            // A new registration ends whatever the satellite held before, certificates included.
            try await records.certificates.revokeAll(of: name, at: at)
            try await changes.touch(satellite: name)
            // Its fellow members list it from now on, advertising or not.
            if let site = try await records.satellites.named(name)?.site { try await changes.touch(site: site) }
            changes.audit("satellite.register", name, by: .satellite(name))
            try await satellites.startHealth(of: name, records)
            try changes.emit(.satelliteRegistered, subject: name)
            var response = RegistrationResponse(
                name: name, credential: credential, publicKey: publicKey, settings: holder.settings)
            if let enrolment {
                response.certificate = try await enrolment.issue(to: name, in: &changes, now: now())
                response.trustBundle = enrolment.trustBundle
            }
            return response
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
        let holder = try await store.read { records in
            try await records.satellites.credentialHolder(credentialHash: hash)
        }
        guard let holder else {
            throw GroundControlError(.unauthorized, "the satellite credential is unknown or revoked")
        }
        let name = try ResourceName(holder.name)
        guard holder.isNext else { return SatelliteIdentity(name: name, revision: holder.revision) }
        let revision = try await change(by: .satellite(name.value)) { changes in
            try await changes.records.satellites.retirePreviousCredential(of: name.value, nextHash: hash)
            try await changes.touch(satellite: name.value)
            changes.audit("satellite.credential.rotated", name.value)
            return try await changes.revision()
        }
        return SatelliteIdentity(name: name, revision: revision, retiredPrevious: true)
    }

    /// Sets the admin token's hash from `environmentToken`, or makes a token on first start.
    /// Returns a newly made token, which the caller shows once; it is never stored in clear.
    public func ensureAdminToken(environmentToken: String?) async throws -> String? {
        if let environmentToken, !environmentToken.isEmpty {
            try await store.transaction { records in
                try await records.meta.set(MetaKey.adminTokenHash, to: Secret.hash(environmentToken))
            }
            return nil
        }
        let token = Secret.make(prefix: Secret.adminPrefix)
        let inserted = try await store.transaction { records in
            try await records.meta.setIfAbsent(MetaKey.adminTokenHash, to: Secret.hash(token))
        }
        return inserted ? token : nil
    }

    public func isAdmin(token: String) async throws -> Bool {
        let stored = try await store.read { records in try await records.meta.value(MetaKey.adminTokenHash) }
        return stored == Secret.hash(token)
    }

    /// The Ed25519 key that signs desired states, made on first start and shared by every process
    /// on the database (a satellite checks signatures against the key it got when registering).
    public func signingKey() async throws -> Curve25519.Signing.PrivateKey {
        let candidate = Curve25519.Signing.PrivateKey().rawRepresentation.base64EncodedString()
        let stored = try await store.transaction { records in
            _ = try await records.meta.setIfAbsent(MetaKey.signingKey, to: candidate)
            return try await records.meta.value(MetaKey.signingKey)
        }
        guard let stored, let raw = Data(base64Encoded: stored),
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else {
            throw FleetStoreError.corrupt("fleet_meta.signing_key is not an Ed25519 key")
        }
        return key
    }
}

/// The keys of Ground Control's own values in the store.
enum MetaKey {
    static let adminTokenHash = "admin_token_hash"
    static let signingKey = "signing_key"
    /// A known value sealed under the key-encryption key, to tell at start (and before a
    /// restore) whether the key given is the one the database was written with.
    static let secretKeyCheck = "secret_key_check"
    /// The certificate authority's certificate (PEM) and its key (PEM, sealed).
    static let authorityCertificate = "ca_certificate"
    static let authorityKey = "ca_key"

    /// The values kept sealed.
    static let sealed = [signingKey, secretKeyCheck, authorityKey]
}
