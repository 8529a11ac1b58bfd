import ArgumentParser
import FleetDomain
import Foundation
import GroundControl
import ProgramSupport

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
        if let key = summary.secretKeyID {
            // The backup is of no use without it, and must not be stored with it.
            print("ground-control: keep the secret key file (key \(key)) too, apart from the backup")
        }
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
        let summary = try SQLiteFleetBackup.restore(
            from: from, to: path, replacing: replace, secrets: try await database.settings.existingSealer())
        print("ground-control: restored \(path) from \(from): \(summary)")
    }
}
