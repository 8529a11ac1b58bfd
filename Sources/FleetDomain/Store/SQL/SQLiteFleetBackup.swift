import DurableFiles
import Foundation
import GRDB

/// Backup and restore of a SQLite fleet database. (On PostgreSQL, `pg_dump` and `pg_restore` do
/// this job; the operator's guide says how.)
public enum SQLiteFleetBackup {
    /// What a fleet database holds, printed after a backup or restore and checked before one.
    public struct Summary: Sendable, Equatable, CustomStringConvertible {
        public let schemaVersion: Int
        public let registries: Int
        public let groups: Int
        public let satellites: Int
        /// The key check, sealed (nil in a database from before sealing).
        let secretKeyCheck: String?

        /// Which key-encryption key its secrets are sealed under, as its key check names it.
        public var secretKeyID: String? {
            secretKeyCheck.flatMap { $0.split(separator: ":").dropFirst().first.map(String.init) }
        }

        public var description: String {
            let sealing = secretKeyID.map { ", secrets sealed under secret key \($0)" } ?? ""
            return
                "schema version \(schemaVersion), \(registries) registries, \(groups) groups, \(satellites) satellites"
                + sealing
        }
    }

    /// Writes a copy of the database at `path` to `destination`, consistent as of one instant,
    /// while Ground Control goes on serving from it (SQLite's `VACUUM INTO` reads one snapshot).
    /// The copy is checked, made durable, and only then given its name; `destination` must not exist.
    public static func backup(from path: String, to destination: String) throws(FleetStoreError) -> Summary {
        guard FileManager.default.fileExists(atPath: path) else { throw .unavailable("no database at \(path)") }
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw .constraint("\(destination) exists; a backup is written to a new file")
        }
        _ = try inspect(path)
        let partial = try temporaryName(beside: destination)
        defer { try? FileManager.default.removeItem(atPath: partial) }
        do {
            let source = try DatabaseQueue(path: path, configuration: connectionConfiguration())
            defer { try? source.close() }
            try withOwnerOnlyFiles {
                try source.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [partial]) }
            }
        } catch let error as FleetStoreError {
            throw error
        } catch {
            throw .unavailable("cannot copy \(path): \(error)")
        }
        let summary = try inspect(partial)
        try durablyRename(partial, to: destination)
        return summary
    }

    /// Puts a backup in place as the database at `path`. An existing database is replaced only
    /// when `replacing` (Ground Control must be stopped: its open files would keep the old one).
    /// The backup's secrets must open with `secrets`, or nothing is changed.
    public static func restore(
        from backup: String, to path: String, replacing: Bool, secrets: SecretSealer?
    ) throws(FleetStoreError) -> Summary {
        let summary = try inspect(backup)
        if let check = summary.secretKeyCheck {
            guard let secrets else {
                throw .constraint(
                    """
                    \(backup) holds secrets sealed under secret key \(summary.secretKeyID ?? "?"): restore with \
                    --secret-key-file naming the key file it was written with; nothing was changed
                    """)
            }
            do {
                _ = try secrets.open(check, context: SealedColumn.metaSecret.context(MetaKey.secretKeyCheck))
            } catch .otherKey(_, let sealedWith, let have) {
                throw .constraint(
                    """
                    \(backup) was written under secret key \(sealedWith), but the secret key file given is \(have): \
                    restore with the key file the backup was written with; nothing was changed
                    """)
            } catch {
                throw .corrupt("\(backup): \(error); nothing was changed")
            }
        }
        if FileManager.default.fileExists(atPath: path), !replacing {
            throw .constraint("\(path) exists; stop ground-control and pass --replace to overwrite it")
        }
        let partial = try temporaryName(beside: path)
        defer { try? FileManager.default.removeItem(atPath: partial) }
        do {
            try withOwnerOnlyFiles { try FileManager.default.copyItem(atPath: backup, toPath: partial) }
            guard chmod(partial, 0o600) == 0 else {
                throw FleetStoreError.unavailable("cannot restrict \(partial) to its owner")
            }
        } catch let error as FleetStoreError {
            throw error
        } catch {
            throw .unavailable("cannot copy \(backup): \(error.localizedDescription)")
        }
        // The old database's write-ahead log would be replayed into the restored file.
        for stale in [path + "-wal", path + "-shm", path + "-journal"] {
            try? FileManager.default.removeItem(atPath: stale)
        }
        try durablyRename(partial, to: path)
        return summary
    }

    /// Checks that `path` is a whole Ground Control database this version can open, and counts
    /// what it holds.
    public static func inspect(_ path: String) throws(FleetStoreError) -> Summary {
        guard FileManager.default.fileExists(atPath: path) else { throw .unavailable("no file at \(path)") }
        let known = FleetSchema.migrations(.sqlite).count
        do {
            var configuration = connectionConfiguration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db throws -> Summary in
                let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                guard integrity == ["ok"] else {
                    throw FleetStoreError.corrupt("\(path) is damaged: \(integrity.prefix(3).joined(separator: "; "))")
                }
                guard try db.tableExists("schema_migrations"), try db.tableExists("satellites") else {
                    throw FleetStoreError.corrupt("\(path) is a SQLite file but not a Ground Control database")
                }
                let version = try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(version), 0) FROM schema_migrations") ?? 0
                guard version <= known else {
                    throw FleetStoreError.corrupt(
                        "\(path) is at schema version \(version); this ground-control knows \(known): upgrade it")
                }
                func count(_ table: String) throws -> Int {
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0
                }
                let check = try String.fetchOne(
                    db, sql: "SELECT value FROM fleet_meta WHERE key = ?", arguments: [MetaKey.secretKeyCheck])
                return Summary(
                    schemaVersion: version, registries: try count("registries"), groups: try count("image_groups"),
                    satellites: try count("satellites"), secretKeyCheck: check)
            }
        } catch let error as FleetStoreError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw .corrupt("\(path) is not a SQLite database")
        } catch {
            throw .unavailable("cannot read \(path): \(error)")
        }
    }

    private static func connectionConfiguration() -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        return configuration
    }

    /// The database holds hashes and sealed secrets: its copies are created owner-only from
    /// their first byte (this runs in a one-shot command, so the process-wide umask is ours to set).
    private static func withOwnerOnlyFiles<T>(_ body: () throws -> T) rethrows -> T {
        let previous = umask(0o077)
        defer { umask(previous) }
        return try body()
    }

    /// A name for the file being written, in `path`'s directory (made, owner-only, when missing).
    private static func temporaryName(beside path: String) throws(FleetStoreError) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw .unavailable("cannot create \(directory): \(error.localizedDescription)")
            }
        }
        return path + ".partial-" + UUID().uuidString.prefix(8)
    }

    /// Puts the finished copy in place: after a crash the name holds all of it or nothing new.
    private static func durablyRename(_ from: String, to: String) throws(FleetStoreError) {
        do {
            try DurableFile.renameDurably(from, to: to, syncingFirst: true)
        } catch {
            throw .unavailable("cannot put \(to) in place: \(error)")
        }
    }
}
