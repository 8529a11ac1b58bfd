import FleetDomain
import Foundation
import Logging
import ProgramSupport

/// Where the fleet is kept and the key its secrets are sealed with: every command that opens the
/// fleet reads these two settings.
struct DatabaseSettings {
    /// `sqlite:PATH` or a PostgreSQL URL.
    let url: String
    /// The key-encryption key's file: `secret-key-file`, or beside a SQLite database by default.
    let secretKeyFile: String

    init(_ settings: SettingSources) throws {
        url = settings.database
        if let file = settings.string("secret-key-file") {
            secretKeyFile = file
        } else if let path = try Self.sqlitePath(url) {
            secretKeyFile = path + ".key"
        } else {
            // Each replica making a key of its own would seal with keys the others cannot open.
            throw SettingsError(
                """
                secret-key-file is needed with PostgreSQL: every replica reads the same key. Give a path on the \
                first replica (it is made there, owner-only) and copy that file to the others
                """)
        }
    }

    /// The SQLite file, or nil for PostgreSQL.
    var sqlitePath: String? {
        get throws { try Self.sqlitePath(url) }
    }

    static func sqlitePath(_ url: String) throws -> String? {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") { return nil }
        guard url.hasPrefix("sqlite:") else {
            throw SettingsError("database must be sqlite:PATH or postgres://…, not '\(url.prefix(40))…'")
        }
        let path = String(url.dropFirst("sqlite:".count))
        guard !path.isEmpty else {
            throw SettingsError("database: sqlite: needs a path, as in sqlite:ground-control.sqlite")
        }
        return path
    }

    /// The sealer of the key in `secretKeyFile`, made there first when there is none.
    func sealer() throws -> SecretSealer {
        do {
            return SecretSealer(key: try SecretKeyFile.loadOrCreate(secretKeyFile))
        } catch {
            throw SettingsError(error.description)
        }
    }

    /// The sealer of the key in `secretKeyFile` if there is that file (a restore must not make one).
    func existingSealer() throws -> SecretSealer? {
        guard FileManager.default.fileExists(atPath: secretKeyFile) else { return nil }
        do {
            return SecretSealer(key: try SecretKeyFile.load(secretKeyFile))
        } catch {
            throw SettingsError(error.description)
        }
    }

    /// The store, not yet prepared; its `run()` must be running while it is used.
    func openStore(logger: Logger) throws -> any SQLFleetStore {
        let secrets = try sealer()
        if let path = try sqlitePath {
            return try SQLiteFleetStore(path: path, secrets: secrets)
        }
        return try PostgresFleetStore(url: url, secrets: secrets, logger: logger)
    }
}
