struct SQLPeopleRepository: PeopleRepository {
    let session: any FleetSession

    func named(_ name: String) async throws -> UserRecord? {
        try await session.query("SELECT name, role, password_hash, created_at FROM users WHERE name = ?", .text(name))
            .first.map(UserRecord.init)
    }

    func all(tokensUnexpiredAt at: Int64) async throws -> [(user: UserRecord, tokens: Int)] {
        try await session.query(
            """
            SELECT u.name AS name, u.role AS role, u.password_hash AS password_hash, u.created_at AS created_at,
                   (SELECT COUNT(*) FROM user_tokens t WHERE t.user_name = u.name AND t.expires_at > ?) AS tokens
            FROM users u ORDER BY u.name
            """, .integer(at)
        ).map { (try UserRecord($0), Int(try $0.integer("tokens"))) }
    }

    func create(_ user: UserRecord) async throws {
        try await session.query(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
            .text(user.name), .text(user.role), .optional(user.passwordHash), .integer(user.createdAt))
    }

    func update(_ name: String, role: String, passwordHash: String?) async throws {
        try await session.query("UPDATE users SET role = ? WHERE name = ?", .text(role), .text(name))
        if let passwordHash {
            try await session.query(
                "UPDATE users SET password_hash = ? WHERE name = ?", .text(passwordHash), .text(name))
        }
    }

    func delete(_ name: String) async throws -> Bool {
        guard try await !session.query("DELETE FROM users WHERE name = ? RETURNING name", .text(name)).isEmpty else {
            return false
        }
        try await session.query("DELETE FROM user_tokens WHERE user_name = ?", .text(name))
        try await session.query("DELETE FROM user_sessions WHERE user_name = ?", .text(name))
        return true
    }

    func holder(of credential: UserCredential, hash: String, at: Int64) async throws -> (name: String, role: String)? {
        let (table, column) =
            switch credential {
            case .token: ("user_tokens", "token_hash")
            case .session: ("user_sessions", "session_hash")
            }
        guard
            let row = try await session.query(
                """
                SELECT u.name AS name, u.role AS role FROM \(table) t JOIN users u ON u.name = t.user_name
                WHERE t.\(column) = ? AND t.expires_at > ?
                """, .text(hash), .integer(at)
            ).first
        else { return nil }
        return (try row.text("name"), try row.text("role"))
    }

    func tokenExpiry(hash: String) async throws -> Int64? {
        try await session.query("SELECT expires_at FROM user_tokens WHERE token_hash = ?", .text(hash)).first?.integer(
            "expires_at")
    }

    func addToken(_ token: UserTokenRecord) async throws {
        try await session.query(
            """
            INSERT INTO user_tokens (token_hash, user_name, description, created_at, expires_at) VALUES (?, ?, ?,
                ?, ?)
            """,
            .text(token.hash), .text(token.user), .optional(token.description), .integer(token.createdAt),
            .integer(token.expiresAt))
    }

    func openSession(_ opened: UserTokenRecord) async throws {
        try await session.query("DELETE FROM user_sessions WHERE expires_at <= ?", .integer(opened.createdAt))
        try await session.query(
            "INSERT INTO user_sessions (session_hash, user_name, created_at, expires_at) VALUES (?, ?, ?, ?)",
            .text(opened.hash), .text(opened.user), .integer(opened.createdAt), .integer(opened.expiresAt))
    }

    func closeSession(hash: String) async throws -> String? {
        try await session.query("DELETE FROM user_sessions WHERE session_hash = ? RETURNING user_name", .text(hash))
            .first?.text("user_name")
    }

    func loginFailures(of key: String, after since: Int64, limit: Int) async throws -> [Int64] {
        try await session.query(
            "SELECT at FROM login_failures WHERE name = ? AND at > ? ORDER BY at LIMIT ?", .text(key), .integer(since),
            .integer(Int64(limit))
        ).map { try $0.integer("at") }
    }

    func recordLoginFailure(of key: String, at: Int64, sweepBefore: Int64) async throws {
        try await session.query("DELETE FROM login_failures WHERE at <= ?", .integer(sweepBefore))
        try await session.query("INSERT INTO login_failures (name, at) VALUES (?, ?)", .text(key), .integer(at))
    }

    func clearLoginFailures(of key: String) async throws {
        try await session.query("DELETE FROM login_failures WHERE name = ?", .text(key))
    }
}

extension UserRecord {
    init(_ row: SQLRow) throws {
        self.init(
            name: try row.text("name"), role: try row.text("role"), passwordHash: try row.optionalText("password_hash"),
            createdAt: try row.integer("created_at"))
    }
}
