import Foundation
import GRDB
import ServiceLifecycle

/// The fleet in one SQLite file (WAL): enough for a small fleet and one Ground Control process.
///
/// Reads run concurrently on a pool of reader connections, each statement on the latest
/// committed data; transactions run on the single writer, where `AsyncLock` keeps a transaction's
/// statements together while its body suspends between them.
public final class SQLiteFleetStore: SQLFleetStore {
    public let dialect = SQLDialect.sqlite
    private let pool: DatabasePool
    private let lock = AsyncLock()
    public let secrets: SecretSealer

    /// Opens (creating when absent) the database at `path`; `secrets` seals what it keeps of secrets.
    public init(path: String, secrets: SecretSealer) throws {
        self.secrets = secrets
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(10)
        configuration.allowsUnsafeTransactions = true
        configuration.maximumReaderCount = 4
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // A replaced value (a password sealed at the upgrade, a deleted registry's) is zeroed
            // in the pages written anyway, rather than left readable in the file.
            try db.execute(sql: "PRAGMA secure_delete = FAST")
        }
        try Self.restrictAccess(path)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw FleetStoreError.unavailable("cannot open SQLite database \(path): \(error)")
        }
    }

    /// The file holds the signing key and registry passwords: it is created, and an existing one
    /// (with its WAL files) tightened, to owner-only access before SQLite opens it, and a
    /// directory made for it is 0700. SQLite gives the WAL files its mode.
    static func restrictAccess(_ path: String) throws {
        let manager = FileManager.default
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !manager.fileExists(atPath: directory) {
            do {
                try manager.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw FleetStoreError.unavailable(
                    "cannot create the directory of \(path): \(error.localizedDescription)")
            }
        }
        if !manager.fileExists(atPath: path) {
            let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            guard descriptor >= 0 || errno == EEXIST else {
                throw FleetStoreError.unavailable(
                    "cannot create SQLite database \(path): \(String(cString: strerror(errno)))")
            }
            if descriptor >= 0 { close(descriptor) }
        }
        for file in [path, path + "-wal", path + "-shm", path + "-journal"] where manager.fileExists(atPath: file) {
            guard chmod(file, 0o600) == 0 else {
                throw FleetStoreError.unavailable(
                    "cannot restrict \(file) to its owner (chmod 0600): \(String(cString: strerror(errno)))")
            }
        }
    }

    public func prepare() async throws {
        guard try await FleetSchema.migrate(self) > 0 else { return }
        // Secrets that were plain are sealed now: their pages go to the file at once, so the old
        // plain bytes (zeroed in those pages by secure_delete) do not wait there for a checkpoint.
        do {
            try await pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        } catch {
            throw FleetStoreError.unavailable("cannot write the sealed secrets through to the database: \(error)")
        }
    }

    public func run() async throws {
        try await gracefulShutdown()
    }

    public func readSQL<T: Sendable>(_ body: @Sendable (any FleetSession) async throws -> T) async throws -> T {
        try await body(SQLiteSession(pool: pool, writer: false))
    }

    @discardableResult
    public func transactionSQL<T: Sendable>(_ body: @Sendable (any FleetSession) async throws -> T) async throws -> T {
        try await lock.withLock {
            let session = SQLiteSession(pool: self.pool, writer: true)
            try await session.query("BEGIN IMMEDIATE")
            do {
                let result = try await body(session)
                try await session.query("COMMIT")
                return result
            } catch {
                _ = try? await session.query("ROLLBACK")
                throw error
            }
        }
    }
}

private struct SQLiteSession: FleetSession {
    static let longestCachedArguments = 16
    let pool: DatabasePool
    /// Whether statements go to the writer connection (inside a transaction) or to a reader.
    let writer: Bool

    func query(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow] {
        let values = arguments.map(\.databaseValue)
        let fetch = { @Sendable (db: Database) throws -> [SQLRow] in
            // Compiled once per connection: the same few statements run thousands of times a
            // minute. Long argument lists are `IN (?, ?, …)` of varying length, which would only
            // fill the cache.
            let statement =
                values.count <= Self.longestCachedArguments
                ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
            let rows = try Row.fetchAll(statement, arguments: StatementArguments(values))
            guard let first = rows.first else { return [] }
            let columns = Array(first.columnNames).map { $0.lowercased() }
            return rows.map { SQLRow(columns: columns, values: $0.databaseValues.map(SQLValue.init)) }
        }
        do {
            return writer ? try await pool.writeWithoutTransaction(fetch) : try await pool.read(fetch)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw FleetStoreError.constraint(error.message ?? "constraint violated")
        } catch let error as DatabaseError {
            throw FleetStoreError.unavailable("SQLite: \(error.message ?? "\(error.resultCode)")")
        }
    }
}

extension SQLValue {
    fileprivate var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let value): value.databaseValue
        case .real(let value): value.databaseValue
        case .text(let value): value.databaseValue
        }
    }

    fileprivate init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let value): self = .integer(value)
        case .double(let value): self = .real(value)
        case .string(let value): self = .text(value)
        case .blob(let data): self = .text(String(decoding: data, as: UTF8.self))
        }
    }
}
