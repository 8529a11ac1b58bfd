/// The SQL the fleet speaks differs only in schema; statements use `?` placeholders for both.
public enum SQLDialect: Sendable {
    case sqlite
    case postgres
}

/// Statements run inside one `read` or `transaction` of a `SQLFleetStore`.
public protocol FleetSession: Sendable {
    /// Runs a statement with `?` placeholders and returns its rows (use `RETURNING` to see what changed).
    @discardableResult
    func query(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow]
}

extension FleetSession {
    @discardableResult
    public func query(_ sql: String, _ arguments: SQLValue...) async throws -> [SQLRow] {
        try await query(sql, arguments)
    }
}

/// A fleet store in a SQL database: one set of statements serves SQLite and PostgreSQL, the
/// repositories of `FleetRecords.sql` run them.
public protocol SQLFleetStore: FleetStore {
    var dialect: SQLDialect { get }

    /// Seals the secrets the database keeps (`SealedColumn`).
    var secrets: SecretSealer { get }

    /// Runs `body` outside a transaction: each statement sees the latest committed data.
    func readSQL<T: Sendable>(_ body: @Sendable (any FleetSession) async throws -> T) async throws -> T

    /// Runs `body` in one transaction: all of its statements commit, or none do when it throws.
    @discardableResult
    func transactionSQL<T: Sendable>(_ body: @Sendable (any FleetSession) async throws -> T) async throws -> T
}

extension SQLFleetStore {
    public func prepare() async throws {
        try await FleetSchema.migrate(self)
    }

    public func read<T: Sendable>(_ body: @Sendable (FleetRecords) async throws -> T) async throws -> T {
        try await readSQL { session in try await body(.sql(session, dialect, secrets: secrets)) }
    }

    @discardableResult
    public func transaction<T: Sendable>(_ body: @Sendable (FleetRecords) async throws -> T) async throws -> T {
        try await transactionSQL { session in try await body(.sql(session, dialect, secrets: secrets)) }
    }
}

extension FleetRecords {
    /// The repositories over one SQL session.
    static func sql(_ session: any FleetSession, _ dialect: SQLDialect, secrets: SecretSealer) -> FleetRecords {
        let secrets = SecretColumns(sealer: secrets)
        return FleetRecords(
            revision: SQLRevisionRepository(session: session), audit: SQLAuditRepository(session: session),
            registries: SQLRegistryRepository(session: session, secrets: secrets),
            groups: SQLGroupRepository(session: session),
            rollouts: SQLRolloutRepository(session: session, dialect: dialect),
            events: SQLEventRepository(session: session, dialect: dialect),
            robots: SQLRobotRepository(session: session),
            satellites: SQLSatelliteRepository(session: session, dialect: dialect),
            sites: SQLSiteRepository(session: session),
            health: SQLHealthRepository(session: session), bundles: SQLBundleRepository(session: session),
            certificates: SQLCertificateRepository(session: session),
            meta: SQLMetaRepository(session: session, secrets: secrets), people: SQLPeopleRepository(session: session),
            subscriptions: SQLSubscriptionRepository(session: session, secrets: secrets))
    }
}
