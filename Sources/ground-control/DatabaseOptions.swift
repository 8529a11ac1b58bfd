import ArgumentParser
import FleetDomain
import Logging
import ProgramSupport
import ServiceLifecycle

/// The database a one-shot command works on, and its secret key: the same settings as `serve`'s.
struct DatabaseOptions: ParsableArguments {
    @Option(
        help:
            """
            sqlite:PATH or postgres://… (default sqlite:ground-control.sqlite); also GROUND_CONTROL_DATABASE or \
            --config.
            """
    )
    var database: String?

    @Option(
        name: .customLong("secret-key-file"),
        help: "The key its secrets are sealed with (default: the SQLite file's path with .key appended).")
    var secretKeyFile: String?

    @Option(help: "YAML file of settings, as for serve.")
    var config: String?

    var settings: DatabaseSettings {
        get async throws { try DatabaseSettings(await sources()) }
    }

    /// These flags with `more`, the environment and the `--config` file.
    func sources(adding more: FlagValues = FlagValues([:])) async throws -> SettingSources {
        var flags = more
        flags.set("database", database)
        flags.set("secret-key-file", secretKeyFile)
        return try await SettingSources.groundControl(flags, config: config)
    }

    /// The SQLite file named, or an error that says what to use for PostgreSQL.
    func sqlitePath(for verb: String) async throws -> String {
        guard let path = try DatabaseSettings.sqlitePath(try await sources().database) else {
            throw SettingsError(
                """
                \(verb) works on SQLite; for PostgreSQL use its own tools, which copy a live database \
                consistently: pg_dump --format=custom --file=FILE DATABASE to back up, \
                pg_restore --clean --if-exists --no-owner --dbname=DATABASE FILE to restore \
                (docs/operating.md, "Back up and restore")
                """)
        }
        return path
    }

    /// Runs `body` on the fleet store (prepared, unless not `prepared`), with the store's service
    /// (PostgreSQL's connection pool) running meanwhile.
    func withStore<T: Sendable>(
        prepared: Bool = true, _ body: @escaping @Sendable (any SQLFleetStore) async throws -> T
    ) async throws -> T {
        let store = try await settings.openStore(logger: Logger(label: "ground-control"))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await store.run()
                return nil
            }
            group.addTask {
                if prepared { try await store.prepare() }
                return try await body(store)
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw SettingsError("the database closed before the command finished")
        }
    }
}
