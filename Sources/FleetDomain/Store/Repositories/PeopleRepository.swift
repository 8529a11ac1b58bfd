/// People, their personal tokens and dashboard sessions (hashes only), and failed logins.
package protocol PeopleRepository: Sendable {
    func named(_ name: String) async throws -> UserRecord?

    /// Every person, by name, with how many of their tokens are unexpired at `at`.
    func all(tokensUnexpiredAt at: Int64) async throws -> [(user: UserRecord, tokens: Int)]

    func create(_ user: UserRecord) async throws

    /// Sets the role, and the password's hash when one is given.
    func update(_ name: String, role: String, passwordHash: String?) async throws

    /// Deletes the person with their tokens and sessions; false when there was none.
    func delete(_ name: String) async throws -> Bool

    // MARK: Personal tokens and sessions

    /// The person holding an unexpired token or session with this hash, and their role.
    func holder(of credential: UserCredential, hash: String, at: Int64) async throws -> (name: String, role: String)?

    /// When the personal token with this hash expires.
    func tokenExpiry(hash: String) async throws -> Int64?

    func addToken(_ token: UserTokenRecord) async throws

    /// Opens a session, and sweeps those expired by its start.
    func openSession(_ session: UserTokenRecord) async throws

    /// Ends a session; returns whose it was.
    func closeSession(hash: String) async throws -> String?

    // MARK: Failed logins

    /// When the failures for `key` after `since` happened, oldest first, at most `limit`.
    func loginFailures(of key: String, after since: Int64, limit: Int) async throws -> [Int64]

    /// Counts a failure, and sweeps those at or before `sweepBefore`.
    func recordLoginFailure(of key: String, at: Int64, sweepBefore: Int64) async throws

    func clearLoginFailures(of key: String) async throws
}

/// A person: a role, and a password kept only as a scrypt hash (nil: tokens or OIDC only).
package struct UserRecord: Sendable, Equatable {
    let name: String
    let role: String
    let passwordHash: String?
    /// Milliseconds since 1970.
    let createdAt: Int64
}

/// Which kind of a person's bearer secret.
package enum UserCredential: Sendable {
    case token
    case session
}

/// A personal token or a session, by its hash.
package struct UserTokenRecord: Sendable, Equatable {
    let hash: String
    let user: String
    let description: String?
    /// Milliseconds since 1970.
    let createdAt: Int64
    let expiresAt: Int64
}
