import FleetAPI
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

extension PeopleService {
    /// Personal tokens live at most a year; 90 days unless asked otherwise.
    static let tokenDays = (default: 90, maximum: 365)
    static let userTokenPrefix = "gcp_"

    /// The principal a bearer token stands for: the bootstrap admin token, or a person's token
    /// that has not expired. Nil for anything else.
    public func principal(token: String) async throws -> Principal? {
        if token.hasPrefix(Self.userTokenPrefix) {
            return try await principal(holding: .token, hash: Secret.hash(token))
        }
        return try await fleet.isAdmin(token: token) ? Principal(actor: .admin, role: .admin) : nil
    }

    /// The person holding an unexpired personal token or session with this hash.
    func principal(holding credential: UserCredential, hash: String) async throws -> Principal? {
        let at = Self.milliseconds(now())
        let holder = try await store.read { records in
            try await records.people.holder(of: credential, hash: hash, at: at)
        }
        guard let holder, let role = Role(rawValue: holder.role) else { return nil }
        return Principal(actor: .user(holder.name), role: role)
    }

    /// The person `name` if `password` is theirs. The name is a checked one: a NUL or another
    /// control character in it must never reach the database, where it could end the name early.
    public func principal(user name: ResourceName, password: String) async throws -> Principal? {
        let user = try await store.read { records in try await records.people.named(name.value) }
        guard let user, let stored = user.passwordHash, let role = Role(rawValue: user.role) else {
            // As slow as a wrong password, so the answer's time does not tell who has an account.
            _ = PasswordHash.verify(password, against: PasswordHash.decoy)
            return nil
        }
        return PasswordHash.verify(password, against: stored) ? Principal(actor: .user(name.value), role: role) : nil
    }

    /// Creates or changes a person: the role, and the password when one is given.
    @discardableResult
    public func put(
        _ name: ResourceName, role: Role, password: String?, by actor: Fleet.Actor
    ) async throws -> (view: UserView, created: Bool) {
        if let password { try Self.checkPassword(password) }
        let hash = try password.map(PasswordHash.make)
        let at = Self.milliseconds(now())
        let created = try await change(by: actor) { changes in
            let records = changes.records
            let existed = try await records.people.named(name.value) != nil
            if existed {
                try await records.people.update(name.value, role: role.rawValue, passwordHash: hash)
            } else {
                try await records.people.create(
                    UserRecord(name: name.value, role: role.rawValue, passwordHash: hash, createdAt: at))
            }
            changes.audit(existed ? "user.update" : "user.create", name.value, "role \(role.rawValue)")
            return !existed
        }
        return (try await named(name), created)
    }

    public func named(_ name: ResourceName) async throws -> UserView {
        guard let view = try await all().first(where: { $0.name == name.value }) else {
            throw GroundControlError(.notFound, "user '\(name)' does not exist")
        }
        return view
    }

    public func all() async throws -> [UserView] {
        let at = Self.milliseconds(now())
        return try await store.read { records in
            try await records.people.all(tokensUnexpiredAt: at).map { user, tokens in
                UserView(
                    name: user.name, role: user.role, hasPassword: user.passwordHash != nil, tokens: tokens,
                    createdAt: Self.date(user.createdAt))
            }
        }
    }

    /// Deletes a person, every token they hold and every session they have open.
    public func delete(_ name: ResourceName, by actor: Fleet.Actor) async throws {
        try await change(by: actor) { changes in
            guard try await changes.records.people.delete(name.value) else {
                throw GroundControlError(.notFound, "user '\(name)' does not exist")
            }
            changes.audit("user.delete", name.value)
        }
    }

    /// When a personal token expires; nil for anything else.
    public func tokenExpiry(_ token: String) async throws -> Date? {
        guard token.hasPrefix(Self.userTokenPrefix) else { return nil }
        return try await store.read { records in try await records.people.tokenExpiry(hash: Secret.hash(token)) }.map(
            Self.date)
    }

    /// A new personal token for `user`, expiring no later than `notAfter` (the token that asked
    /// for it); only its hash is kept.
    public func issueToken(
        for user: String, description: String?, days: Int?, notAfter: Date? = nil
    ) async throws -> PersonalToken {
        let days = days ?? Self.tokenDays.default
        guard (1...Self.tokenDays.maximum).contains(days) else {
            throw GroundControlError(
                .invalidField, "expiresInDays: must be from 1 to \(Self.tokenDays.maximum), not \(days)")
        }
        if let description, description.unicodeScalars.count > 200 {
            throw GroundControlError(.invalidField, "description: at most 200 characters")
        }
        let token = Secret.make(prefix: Self.userTokenPrefix)
        let wanted = now().addingTimeInterval(Double(days) * 86400)
        // Whole milliseconds, as stored, so the expiry shown is the one that holds.
        let expires = Self.date(Self.milliseconds(notAfter.map { min($0, wanted) } ?? wanted))
        let record = UserTokenRecord(
            hash: Secret.hash(token), user: user, description: description, createdAt: Self.milliseconds(now()),
            expiresAt: Self.milliseconds(expires))
        try await change(by: .user(user)) { changes in
            try await changes.records.people.addToken(record)
            changes.audit("token.create", user, description)
        }
        return PersonalToken(user: user, token: token, expiresAt: expires)
    }

    static func checkPassword(_ password: String) throws(GroundControlError) {
        guard (12...1024).contains(password.unicodeScalars.count) else {
            throw GroundControlError(.invalidField, "password: must be 12 to 1024 characters")
        }
    }
}
