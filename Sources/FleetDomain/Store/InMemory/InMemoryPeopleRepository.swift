struct InMemoryPeopleRepository: PeopleRepository {
    let transaction: InMemoryTransaction

    func named(_ name: String) async throws -> UserRecord? { transaction.read { $0.users[name] } }

    func all(tokensUnexpiredAt at: Int64) async throws -> [(user: UserRecord, tokens: Int)] {
        transaction.read { tables in
            tables.users.values.sorted { $0.name < $1.name }.map { user in
                (user, tables.userTokens.values.filter { $0.user == user.name && $0.expiresAt > at }.count)
            }
        }
    }

    func create(_ user: UserRecord) async throws {
        try transaction.change { tables in
            guard tables.users[user.name] == nil else {
                throw FleetStoreError.constraint("users.name: '\(user.name)' exists")
            }
            tables.users[user.name] = user
        }
    }

    func update(_ name: String, role: String, passwordHash: String?) async throws {
        transaction.change { tables in
            guard let user = tables.users[name] else { return }
            tables.users[name] = UserRecord(
                name: name, role: role, passwordHash: passwordHash ?? user.passwordHash, createdAt: user.createdAt)
        }
    }

    func delete(_ name: String) async throws -> Bool {
        transaction.change { tables in
            guard tables.users.removeValue(forKey: name) != nil else { return false }
            tables.userTokens = tables.userTokens.filter { $0.value.user != name }
            tables.sessions = tables.sessions.filter { $0.value.user != name }
            return true
        }
    }

    func holder(of credential: UserCredential, hash: String, at: Int64) async throws -> (name: String, role: String)? {
        transaction.read { tables in
            let held =
                switch credential {
                case .token: tables.userTokens[hash]
                case .session: tables.sessions[hash]
                }
            guard let held, held.expiresAt > at, let user = tables.users[held.user] else { return nil }
            return (user.name, user.role)
        }
    }

    func tokenExpiry(hash: String) async throws -> Int64? { transaction.read { $0.userTokens[hash]?.expiresAt } }

    func addToken(_ token: UserTokenRecord) async throws {
        try transaction.change { tables in
            guard tables.users[token.user] != nil else {
                throw FleetStoreError.constraint("user_tokens.user_name: no user '\(token.user)'")
            }
            tables.userTokens[token.hash] = token
        }
    }

    func openSession(_ opened: UserTokenRecord) async throws {
        try transaction.change { tables in
            guard tables.users[opened.user] != nil else {
                throw FleetStoreError.constraint("user_sessions.user_name: no user '\(opened.user)'")
            }
            tables.sessions = tables.sessions.filter { $0.value.expiresAt > opened.createdAt }
            tables.sessions[opened.hash] = opened
        }
    }

    func closeSession(hash: String) async throws -> String? {
        transaction.change { $0.sessions.removeValue(forKey: hash)?.user }
    }

    func loginFailures(of key: String, after since: Int64, limit: Int) async throws -> [Int64] {
        transaction.read { tables in
            Array(tables.loginFailures.filter { $0.key == key && $0.at > since }.map(\.at).sorted().prefix(limit))
        }
    }

    func recordLoginFailure(of key: String, at: Int64, sweepBefore: Int64) async throws {
        transaction.change { tables in
            tables.loginFailures.removeAll { $0.at <= sweepBefore }
            tables.loginFailures.append((key, at))
        }
    }

    func clearLoginFailures(of key: String) async throws {
        transaction.change { $0.loginFailures.removeAll { $0.key == key } }
    }
}
