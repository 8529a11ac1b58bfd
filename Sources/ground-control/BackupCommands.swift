import ArgumentParser
import FleetDomain
import Foundation
import GroundControl
import ProgramSupport

/// The database a one-shot command works on: the same setting as `serve`'s.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "sqlite:PATH (default sqlite:ground-control.sqlite); also GROUND_CONTROL_DATABASE or --config.")
    var database: String?

    @Option(help: "YAML file of settings, as for serve.")
    var config: String?

    /// The SQLite file named, or an error that says what to use for PostgreSQL.
    func sqlitePath(for verb: String) async throws -> String {
        let url = try await SettingSources.groundControl(FlagValues(["database": database]), config: config).database
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            throw SettingsError(
                """
                \(verb) works on SQLite; for PostgreSQL use its own tools, which copy a live database \
                consistently: pg_dump --format=custom --file=FILE DATABASE to back up, \
                pg_restore --clean --if-exists --no-owner --dbname=DATABASE FILE to restore \
                (docs/operating.md, "Back up and restore")
                """)
        }
        guard url.hasPrefix("sqlite:"), url.count > "sqlite:".count else {
            throw SettingsError("database must be sqlite:PATH, not '\(url.prefix(40))'")
        }
        return String(url.dropFirst("sqlite:".count))
    }
}

/// `ground-control backup`: a consistent copy of a live SQLite database.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the fleet database to a new file while Ground Control keeps serving.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The file to write; it must not exist. It holds secrets: it is created owner-only.")
    var to: String

    func run() async throws {
        let summary = try SQLiteFleetBackup.backup(from: await database.sqlitePath(for: "backup"), to: to)
        print("ground-control: backed up to \(to): \(summary)")
    }
}

/// `ground-control restore`: puts a backup in place as the fleet database.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Put a backup in place as the fleet database (Ground Control stopped).")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The backup file written by ground-control backup.")
    var from: String

    @Flag(help: "Overwrite an existing database.")
    var replace = false

    func run() async throws {
        let path = try await database.sqlitePath(for: "restore")
        let summary = try SQLiteFleetBackup.restore(from: from, to: path, replacing: replace)
        print("ground-control: restored \(path) from \(from): \(summary)")
    }
}
