import Foundation
import Yams

/// Looks up each setting in order: command-line flag, `SATELLITE_*` environment variable,
/// the YAML `--config` file, then the default.
struct Settings {
    private let file: [String: Any]
    private let environment: [String: String]

    /// Loads the YAML file, if any; its top level must be a mapping of setting names (as the flags
    /// are spelled, without dashes: `data-dir: /var/lib/satellite`).
    init(configPath: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.environment = environment
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
    func string(_ name: String, flag: String?) -> String? {
        if let flag { return flag }
        let variable = "SATELLITE_" + name.uppercased().replacingOccurrences(of: "-", with: "_")
        if let value = environment[variable], !value.isEmpty { return value }
        if let value = file[name] { return "\(value)" }
        return nil
    }

    func string(_ name: String, flag: String?, default fallback: String) -> String {
        string(name, flag: flag) ?? fallback
    }

    /// A duration setting in seconds, with a clear error naming the setting.
    func seconds(_ name: String, flag: String?, default fallback: Double) throws -> Double {
        guard let raw = string(name, flag: flag) else { return fallback }
        guard let value = Double(raw), value >= 0 else {
            throw SettingsError("\(name) must be a number of seconds, not '\(raw)'")
        }
        return value
    }
}

/// A setting that cannot be used, with a message naming it.
struct SettingsError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A `host:port` to listen on.
struct ListenAddress {
    let host: String
    let port: Int

    init(_ raw: String) throws {
        guard let colon = raw.lastIndex(of: ":"), let port = Int(raw[raw.index(after: colon)...]), (0...65535).contains(port) else {
            throw SettingsError("listen must be host:port, not '\(raw)'")
        }
        var host = String(raw[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host.isEmpty ? "0.0.0.0" : host
        self.port = port
    }
}
