import Configuration
import Foundation
import SystemPackage

/// Where a program's settings come from, in the order they win: command-line flags, environment
/// variables (`SATELLITE_*` or `GROUND_CONTROL_*`), the YAML `--config` file, then the default
/// (DESIGN.md §5.4). A setting is named as its flag is spelled, without the dashes in front
/// (`data-dir`); its variable is the prefix and the name in capitals (`SATELLITE_DATA_DIR`).
///
/// Each program reads its settings once, at start, into its own typed settings; the readers in
/// `SettingSources+Values.swift` are the one place text becomes seconds, numbers and lists.
public struct SettingSources: Sendable {
    let reader: ConfigReader

    public init(
        flags: FlagValues, configPath: String?, environmentPrefix: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws {
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "flags", values: flags.values),
            EnvironmentVariablesProvider(
                environmentVariables: Self.variables(in: environment, prefix: environmentPrefix)),
        ]
        if let configPath { providers.append(try await Self.file(configPath)) }
        reader = ConfigReader(providers: providers)
    }

    /// The program's variables, named without their prefix. One set but empty counts as unset,
    /// as an example env file leaves it.
    static func variables(in environment: [String: String], prefix: String) -> [String: String] {
        var found: [String: String] = [:]
        for (name, value) in environment where name.hasPrefix(prefix) && !value.isEmpty {
            found[String(name.dropFirst(prefix.count))] = value
        }
        return found
    }

    /// The settings file; its top level must be a mapping of setting names to values.
    static func file(_ path: String) async throws -> FileProvider<YAMLSnapshot> {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw SettingsError("cannot read --config \(path)")
        }
        do {
            return try await FileProvider<YAMLSnapshot>(filePath: FilePath(path))
        } catch {
            throw SettingsError("--config \(path) must be a YAML mapping of setting names to values: \(error)")
        }
    }
}

/// The settings given as flags, by setting name; what a flag left out is looked up further down.
public struct FlagValues: Sendable {
    var values: [AbsoluteConfigKey: ConfigValue] = [:]

    public init(_ flags: KeyValuePairs<String, String?> = [:]) {
        for (name, value) in flags { set(name, value) }
    }

    public mutating func set(_ name: String, _ value: String?) {
        guard let value else { return }
        values[AbsoluteConfigKey([name])] = ConfigValue(.string(value), isSecret: false)
    }

    /// A flag that may be repeated; none given leaves the setting to the other sources.
    public mutating func set(_ name: String, _ list: [String]) {
        guard !list.isEmpty else { return }
        values[AbsoluteConfigKey([name])] = ConfigValue(.stringArray(list), isSecret: false)
    }
}

/// A setting that cannot be used, with a message naming it.
public struct SettingsError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
