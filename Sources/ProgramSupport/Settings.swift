import Foundation
import Logging
import Yams

/// Looks up each setting in order: command-line flag, environment variable (`SATELLITE_*` or
/// `GROUND_CONTROL_*`), the YAML `--config` file, then the default (DESIGN.md §5.4).
public struct Settings {
    private let file: [String: Any]
    private let environment: [String: String]
    /// Prepended to the upper-cased setting name to make its environment variable.
    private let environmentPrefix: String

    /// Loads the YAML file, if any; its top level must be a mapping of setting names (as the flags
    /// are spelled, without dashes: `data-dir: /var/lib/satellite`).
    public init(
        configPath: String?, environmentPrefix: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        self.environment = environment
        self.environmentPrefix = environmentPrefix
        guard let configPath else {
            file = [:]
            return
        }
        let text: String
        do {
            text = try String(contentsOfFile: configPath, encoding: .utf8)
        } catch {
            throw SettingsError("cannot read --config \(configPath): \(error.localizedDescription)")
        }
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch {
            throw SettingsError("--config \(configPath) is not valid YAML: \(error)")
        }
        guard let mapping = loaded as? [String: Any] else {
            throw SettingsError("--config \(configPath) must be a mapping of setting names to values")
        }
        file = mapping
    }

    /// The value of setting `name` (spelled like its flag), or nil when no source sets it.
    public func string(_ name: String, flag: String?) -> String? {
        if let flag { return flag }
        let variable = environmentPrefix + name.uppercased().replacingOccurrences(of: "-", with: "_")
        if let value = environment[variable], !value.isEmpty { return value }
        if let value = file[name] { return "\(value)" }
        return nil
    }

    public func string(_ name: String, flag: String?, default fallback: String) -> String {
        string(name, flag: flag) ?? fallback
    }

    /// A duration setting in seconds, with a clear error naming the setting.
    public func seconds(_ name: String, flag: String?, default fallback: Double) throws -> Double {
        guard let raw = string(name, flag: flag) else { return fallback }
        guard let value = Double(raw), value >= 0 else {
            throw SettingsError("\(name) must be a number of seconds, not '\(raw)'")
        }
        return value
    }
}

/// A setting that cannot be used, with a message naming it.
public struct SettingsError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A `host:port` to listen on.
public struct ListenAddress: Sendable {
    public let host: String
    public let port: Int

    public init(_ raw: String) throws {
        guard let colon = raw.lastIndex(of: ":"), let port = Int(raw[raw.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw SettingsError("listen must be host:port, not '\(raw)'")
        }
        var host = String(raw[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host.isEmpty ? "0.0.0.0" : host
        self.port = port
    }
}

extension Settings {
    /// The `log-level` setting as a swift-log level, with an error listing the choices.
    public func logLevel(flag: String?) throws -> Logger.Level {
        let name = string("log-level", flag: flag, default: "info")
        guard let level = Logger.Level(rawValue: name) else {
            throw SettingsError(
                "log-level must be one of trace, debug, info, notice, warning, error, critical; not '\(name)'")
        }
        return level
    }
}
