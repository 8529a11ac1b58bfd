import Foundation
import SatelliteProtocol

/// What a person may do: `viewer` reads, `operator` also changes groups and satellites, `admin`
/// also registries (their credentials) and people.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case viewer, `operator`, admin

    private var rank: Int {
        switch self {
        case .viewer: 0
        case .operator: 1
        case .admin: 2
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}

/// Who is asking, once their token checked out: the bootstrap admin token or a person.
public struct Principal: Sendable, Equatable {
    public let actor: Fleet.Actor
    public let role: Role

    public init(actor: Fleet.Actor, role: Role) {
        self.actor = actor
        self.role = role
    }
    /// The bootstrap admin token.
    public static let bootstrapAdmin = Principal(actor: .admin, role: .admin)

    /// Whether the satellites this principal enrols may have registry passwords and site
    /// credentials: only an admin may read those, so only an admin may vouch for a satellite.
    public var mayApproveSatellites: Bool { role == .admin }

    /// The person's name; nil for the bootstrap admin token.
    public var user: String? {
        if case .user(let name) = actor { return name }
        return nil
    }
}

extension Fleet {
    /// Personal tokens live at most a year; 90 days unless asked otherwise.
    static let tokenDays = (default: 90, maximum: 365)
    static let userTokenPrefix = "gcp_"

    /// The principal a bearer token stands for: the bootstrap admin token, or a person's token
    /// that has not expired. Nil for anything else.
    public func principal(token: String) async throws -> Principal? {
        if token.hasPrefix(Self.userTokenPrefix) {
            return try await principal(holding: Secret.hash(token), in: "user_tokens", hashColumn: "token_hash")
        }
        return try await isAdmin(token: token) ? Principal(actor: .admin, role: .admin) : nil
    }

    /// The person whose unexpired row of `table` (personal tokens or sessions) has this hash.
    /// The table and column are this file's constants, never input.
    func principal(holding hash: String, in table: String, hashColumn: String) async throws -> Principal? {
        let rows = try await store.read { session in
            try await session.query(
                """
                SELECT u.name AS name, u.role AS role FROM \(table) t JOIN users u ON u.name = t.user_name
                WHERE t.\(hashColumn) = ? AND t.expires_at > ?
                """, .text(hash), .integer(Self.milliseconds(now())))
        }
        guard let row = rows.first, let role = Role(rawValue: try row.text("role")) else { return nil }
        return Principal(actor: .user(try row.text("name")), role: role)
    }

    /// The person `name` if `password` is theirs. The name is a checked one: a NUL or another
    /// control character in it must never reach the database, where it could end the name early.
    public func principal(user name: ResourceName, password: String) async throws -> Principal? {
        let rows = try await store.read { session in
            try await session.query("SELECT role, password_hash FROM users WHERE name = ?", .text(name.value))
        }
        guard let row = rows.first, let stored = try row.optionalText("password_hash"), let role = Role(rawValue: try row.text("role")) else {
            // As slow as a wrong password, so the answer's time does not tell who has an account.
            _ = PasswordHash.verify(password, against: PasswordHash.decoy)
            return nil
        }
        return PasswordHash.verify(password, against: stored) ? Principal(actor: .user(name.value), role: role) : nil
    }

    /// Creates or changes a person: the role, and the password when one is given.
    @discardableResult
    public func putUser(_ name: ResourceName, role: Role, password: String?, by actor: Actor) async throws -> (view: UserView, created: Bool) {
        if let password { try Self.checkPassword(password) }
        let hash = try password.map(PasswordHash.make)
        let at = Self.milliseconds(now())
        let created = try await store.transaction { session in
            let existed = try await !session.query("SELECT 1 FROM users WHERE name = ?", .text(name.value)).isEmpty
            if existed {
                try await session.query("UPDATE users SET role = ? WHERE name = ?", .text(role.rawValue), .text(name.value))
                if let hash {
                    try await session.query("UPDATE users SET password_hash = ? WHERE name = ?", .text(hash), .text(name.value))
                }
            } else {
                try await session.query(
                    "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                    .text(name.value), .text(role.rawValue), .optional(hash), .integer(at))
            }
            try await audit(session, actor, existed ? "user.update" : "user.create", name.value, "role \(role.rawValue)")
            return !existed
        }
        return (try await user(name), created)
    }

    public func user(_ name: ResourceName) async throws -> UserView {
        guard let view = try await users().first(where: { $0.name == name.value }) else {
            throw GroundControlError(.notFound, "user '\(name)' does not exist")
        }
        return view
    }

    public func users() async throws -> [UserView] {
        let at = Self.milliseconds(now())
        return try await store.read { session in
            var views: [UserView] = []
            for row in try await session.query(
                """
                SELECT u.name AS name, u.role AS role, u.password_hash AS password_hash, u.created_at AS created_at,
                       (SELECT COUNT(*) FROM user_tokens t WHERE t.user_name = u.name AND t.expires_at > ?) AS tokens
                FROM users u ORDER BY u.name
                """, .integer(at)) {
                views.append(UserView(
                    name: try row.text("name"), role: try row.text("role"), hasPassword: try row.optionalText("password_hash") != nil,
                    tokens: Int(try row.integer("tokens")), createdAt: Self.date(try row.integer("created_at"))))
            }
            return views
        }
    }

    /// Deletes a person, every token they hold and every session they have open.
    public func deleteUser(_ name: ResourceName, by actor: Actor) async throws {
        try await store.transaction { session in
            guard try await !session.query("DELETE FROM users WHERE name = ? RETURNING name", .text(name.value)).isEmpty else {
                throw GroundControlError(.notFound, "user '\(name)' does not exist")
            }
            try await session.query("DELETE FROM user_tokens WHERE user_name = ?", .text(name.value))
            try await session.query("DELETE FROM user_sessions WHERE user_name = ?", .text(name.value))
            try await audit(session, actor, "user.delete", name.value)
        }
    }

    /// When a personal token expires; nil for anything else.
    public func userTokenExpiry(_ token: String) async throws -> Date? {
        guard token.hasPrefix(Self.userTokenPrefix) else { return nil }
        return try await store.read { session in
            try await session.query("SELECT expires_at FROM user_tokens WHERE token_hash = ?", .text(Secret.hash(token))).first?.integer("expires_at")
        }.map(Self.date)
    }

    /// A new personal token for `user`, expiring no later than `notAfter` (the token that asked
    /// for it); only its hash is kept.
    public func issueUserToken(for user: String, description: String?, days: Int?, notAfter: Date? = nil) async throws -> PersonalToken {
        let days = days ?? Self.tokenDays.default
        guard (1...Self.tokenDays.maximum).contains(days) else {
            throw GroundControlError(.invalidField, "expiresInDays: must be from 1 to \(Self.tokenDays.maximum), not \(days)")
        }
        if let description, description.unicodeScalars.count > 200 {
            throw GroundControlError(.invalidField, "description: at most 200 characters")
        }
        let token = Secret.make(prefix: Self.userTokenPrefix)
        let wanted = now().addingTimeInterval(Double(days) * 86400)
        // Whole milliseconds, as stored, so the expiry shown is the one that holds.
        let expires = Self.date(Self.milliseconds(notAfter.map { min($0, wanted) } ?? wanted))
        try await store.transaction { session in
            try await session.query(
                "INSERT INTO user_tokens (token_hash, user_name, description, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                .text(Secret.hash(token)), .text(user), .optional(description), .integer(Self.milliseconds(now())),
                .integer(Self.milliseconds(expires)))
            try await audit(session, .user(user), "token.create", user, description)
        }
        return PersonalToken(user: user, token: token, expiresAt: expires)
    }

    static func checkPassword(_ password: String) throws(GroundControlError) {
        guard (12...1024).contains(password.unicodeScalars.count) else {
            throw GroundControlError(.invalidField, "password: must be 12 to 1024 characters")
        }
    }
}
