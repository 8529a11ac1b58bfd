import Foundation

/// Dashboard sessions: a person who logged in through the browser holds a random cookie; only its
/// hash is kept, with an absolute expiry. The role is read from the person's row on each request,
/// so a changed role or a deleted account takes effect at once.
extension PeopleService {
    /// A session lasts a working day, however active; then the person logs in again.
    public static let sessionLifetime: TimeInterval = 12 * 3600
    static let sessionPrefix = "gcw_"

    /// Opens a session for `user` (whose password or OIDC login has been checked); returns the
    /// cookie's value. Expired sessions are swept here, so the table stays small without a job.
    public func openSession(for user: String, method: String) async throws -> String {
        let token = Secret.make(prefix: Self.sessionPrefix)
        let at = Self.milliseconds(now())
        let opened = UserTokenRecord(
            hash: Secret.hash(token), user: user, description: nil, createdAt: at,
            expiresAt: Self.milliseconds(now().addingTimeInterval(Self.sessionLifetime)))
        try await change(by: .user(user)) { changes in
            try await changes.records.people.openSession(opened)
            changes.audit("session.open", user, method)
        }
        return token
    }

    /// The person a session cookie stands for, while it has not expired.
    public func principal(session token: String) async throws -> Principal? {
        guard token.hasPrefix(Self.sessionPrefix) else { return nil }
        return try await principal(holding: .session, hash: Secret.hash(token))
    }

    /// Ends a session (logging out); an unknown one is already ended.
    public func closeSession(_ token: String) async throws {
        try await change(by: .groundControl) { changes in
            if let user = try await changes.records.people.closeSession(hash: Secret.hash(token)) {
                changes.audit("session.close", user, by: .user(user))
            }
        }
    }
}

extension PeopleService {
    /// A person who logged in through the OIDC provider: their account is made, or its role set
    /// to what the provider's claim gives now. A local account (one with a password) of that name
    /// is not taken over.
    public func admitProviderUser(_ name: ResourceName, role: Role) async throws {
        let existing = try await store.read { records in try await records.people.named(name.value) }
        if let existing {
            guard existing.passwordHash == nil else {
                throw GroundControlError(
                    .duplicate, "'\(name)' is a local account here; ask an admin to rename one of the two")
            }
            if existing.role == role.rawValue { return }
        }
        try await put(name, role: role, password: nil, by: .user(name.value))
    }
}
