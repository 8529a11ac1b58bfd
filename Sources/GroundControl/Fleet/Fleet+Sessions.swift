import Foundation

/// Dashboard sessions: a person who logged in through the browser holds a random cookie; only its
/// hash is kept, with an absolute expiry. The role is read from the person's row on each request,
/// so a changed role or a deleted account takes effect at once.
extension Fleet {
    /// A session lasts a working day, however active; then the person logs in again.
    public static let sessionLifetime: TimeInterval = 12 * 3600
    static let sessionPrefix = "gcw_"

    /// Opens a session for `user` (whose password or OIDC login has been checked); returns the
    /// cookie's value. Expired sessions are swept here, so the table stays small without a job.
    public func openSession(for user: String, method: String) async throws -> String {
        let token = Secret.make(prefix: Self.sessionPrefix)
        let at = Self.milliseconds(now())
        try await store.transaction { session in
            try await session.query("DELETE FROM user_sessions WHERE expires_at <= ?", .integer(at))
            try await session.query(
                "INSERT INTO user_sessions (session_hash, user_name, created_at, expires_at) VALUES (?, ?, ?, ?)",
                .text(Secret.hash(token)), .text(user), .integer(at),
                .integer(Self.milliseconds(now().addingTimeInterval(Self.sessionLifetime))))
            try await audit(session, .user(user), "session.open", user, method)
        }
        return token
    }

    /// The person a session cookie stands for, while it has not expired.
    public func principal(session token: String) async throws -> Principal? {
        guard token.hasPrefix(Self.sessionPrefix) else { return nil }
        return try await principal(holding: Secret.hash(token), in: "user_sessions", hashColumn: "session_hash")
    }

    /// Ends a session (logging out); an unknown one is already ended.
    public func closeSession(_ token: String) async throws {
        try await store.transaction { session in
            let closed = try await session.query(
                "DELETE FROM user_sessions WHERE session_hash = ? RETURNING user_name", .text(Secret.hash(token)))
            if let user = try closed.first?.text("user_name") {
                try await audit(session, .user(user), "session.close", user)
            }
        }
    }
}
