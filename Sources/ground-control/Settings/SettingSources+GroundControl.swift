import ProgramSupport

extension SettingSources {
    /// Ground Control's settings from `flags`, `GROUND_CONTROL_*` and the `--config` file.
    static func groundControl(_ flags: FlagValues, config: String?) async throws -> SettingSources {
        try await SettingSources(flags: flags, configPath: config, environmentPrefix: "GROUND_CONTROL_")
    }

    /// `database`: `sqlite:PATH` or a PostgreSQL URL; every command that opens the fleet reads it.
    var database: String {
        string("database", default: "sqlite:ground-control.sqlite")
    }
}
