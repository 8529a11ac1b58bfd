import Foundation

/// A person with an account at Ground Control.
public struct UserView: Codable, Sendable, Equatable {
    public var name: String
    /// `admin`, `operator` or `viewer`.
    public var role: String
    /// Whether they can log in with a password (else with tokens only).
    public var hasPassword: Bool
    /// Their personal tokens that have not expired.
    public var tokens: Int
    public var createdAt: Date

    public init(name: String, role: String, hasPassword: Bool, tokens: Int, createdAt: Date) {
        self.name = name
        self.role = role
        self.hasPassword = hasPassword
        self.tokens = tokens
        self.createdAt = createdAt
    }
}

/// `PUT /api/v1/users/{name}`: the role, and a new password if one is given.
public struct UserDefinition: Codable, Sendable, Equatable {
    public var role: String
    public var password: String?

    public init(role: String, password: String? = nil) {
        self.role = role
        self.password = password
    }
}

/// `POST /api/v1/tokens`: a personal token for the person asking.
public struct TokenRequest: Codable, Sendable, Equatable {
    public var description: String?
    /// 1 to 365 (default 90).
    public var expiresInDays: Int?

    public init(description: String? = nil, expiresInDays: Int? = nil) {
        self.description = description
        self.expiresInDays = expiresInDays
    }
}

/// A personal token, shown once; Ground Control keeps only its hash.
public struct PersonalToken: Codable, Sendable, Equatable {
    public var user: String
    public var token: String
    public var expiresAt: Date

    public init(user: String, token: String, expiresAt: Date) {
        self.user = user
        self.token = token
        self.expiresAt = expiresAt
    }
}

/// `GET /api/v1/whoami`: who a token stands for.
public struct Identity: Codable, Sendable, Equatable {
    /// The person; nil for the bootstrap admin token.
    public var user: String?
    public var role: String

    public init(user: String?, role: String) {
        self.user = user
        self.role = role
    }
}
