import ServiceLifecycle

/// The SQL the fleet speaks differs only in schema; statements use `?` placeholders for both.
public enum SQLDialect: Sendable {
    case sqlite
    case postgres
}

/// Statements run inside one `read` or `transaction` of a `FleetStore`.
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

/// Where the fleet lives: SQLite for a small fleet, PostgreSQL for several replicas.
///
/// A `Service`: PostgreSQL's connection pool runs inside it; SQLite's waits for shutdown.
public protocol FleetStore: Service {
    var dialect: SQLDialect { get }

    /// Runs `body` outside a transaction: each statement sees the latest committed data (reads
    /// may run concurrently). Use `transaction` to write or to see one snapshot.
    func read<T: Sendable>(_ body: @Sendable (any FleetSession) async throws -> T) async throws -> T

    /// Runs `body` in one transaction: all of its changes commit, or none do when it throws.
    @discardableResult
    func transaction<T: Sendable>(_ body: @Sendable (any FleetSession) async throws -> T) async throws -> T
}
