import Foundation
import GRDB
import Logging
import OCI

/// The satellite's registry storage: content-addressed blobs on disk shared by every repository,
/// upload sessions apart, and metadata (repositories, manifests, tags, referrers) in SQLite.
///
/// Layout and crash-safety contract: DESIGN.md §5.1. A blob file appears under `blobs/` only
/// after it has been fully written, verified and fsynced; metadata rows are committed only after
/// the files they name are durable.
public final class RegistryStore: Sendable {
    /// Tunables of a store.
    public struct Options: Sendable {
        /// The largest manifest accepted, in bytes.
        public var maxManifestBytes: Int = 4 * 1024 * 1024
        /// Upload sessions untouched for this long (seconds) are swept.
        public var uploadExpiry: Double = 24 * 3600
        /// Unreferenced blobs younger than this (seconds) survive garbage collection, so that a
        /// client can push layers before the manifest that names them.
        public var garbageGracePeriod: Double = 3600
        /// Wall-clock seconds since 1970; replaceable in tests.
        public var clock: @Sendable () -> Double = { Date().timeIntervalSince1970 }
        /// Sweep upload debris and drop rows without files on opening: for the process that owns
        /// the store, not for one that reads it while another serves (`satellite export`).
        public var cleansUpOnOpen = true

        public init() {}
    }

    package let layout: StoreLayout
    let database: DatabasePool
    let sessions = UploadSessions()
    public let options: Options
    let logger: Logger

    /// Opens (creating if needed) the store under `directory`, then sweeps what a crash may have
    /// left and repairs what an older version's crash may have left.
    public init(
        directory: String, options: Options = Options(), logger: Logger = Logger(label: "registry-store")
    ) throws(StoreError) {
        self.layout = StoreLayout(root: directory)
        self.options = options
        self.logger = logger
        try layout.create()
        do {
            database = try MetadataDatabase.open(path: layout.databasePath)
        } catch {
            throw StoreError(.io, "cannot open \(layout.databasePath): \(error)")
        }
        if options.cleansUpOnOpen {
            try sweepUploads(startup: true)
            try repairRowsWithoutFiles()
        }
    }

    /// The data directory this store lives in.
    public var directory: String { layout.root }

    /// Runs a write transaction, mapping database failures to `StoreError`.
    func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws(StoreError) -> T {
        try await Self.mappingDatabaseErrors("write") { try await database.write(body) }
    }

    /// Runs a read, mapping database failures to `StoreError`.
    func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws(StoreError) -> T {
        try await Self.mappingDatabaseErrors("read") { try await database.read(body) }
    }

    private static func mappingDatabaseErrors<T>(
        _ operation: String, _ body: () async throws -> T
    ) async throws(StoreError) -> T {
        do {
            return try await body()
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
            throw StoreError(
                .diskFull, "the disk holding the registry is full (database \(operation): \(error.message ?? "full"))")
        } catch {
            throw StoreError(.io, "database \(operation) failed: \(error)")
        }
    }

    /// Whether any manifest or blob has been stored under `repository`.
    public func repositoryExists(_ repository: RepositoryName) async throws(StoreError) -> Bool {
        try await read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM repositories WHERE name = ?", arguments: [repository.value])
                ?? false
        }
    }

    /// All repository names, in lexical order, for the catalog API.
    public func repositories(after last: String?, limit: Int) async throws(StoreError) -> [String] {
        try await read { db in
            try String.fetchAll(
                db, sql: "SELECT name FROM repositories WHERE name > ? ORDER BY name LIMIT ?",
                arguments: [last ?? "", limit])
        }
    }

    /// Bytes held in blobs (manifests included), for metrics and status.
    public func totalBlobBytes() async throws(StoreError) -> Int64 {
        try await read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(size), 0) FROM blobs") ?? 0 }
    }

    /// Free and total bytes of the disk holding the store.
    public func diskCapacity() -> (free: Int64, total: Int64)? {
        FileSystem.capacity(layout.root)
    }

    static func ensureRepository(_ db: Database, _ repository: RepositoryName, now: Double) throws {
        try db.execute(
            sql: "INSERT OR IGNORE INTO repositories(name, created_at) VALUES (?, ?)",
            arguments: [repository.value, now])
    }
}
