import Configuration
import Foundation
import Logging

/// Typed readers: every setting's text is turned into its value here, and a value that will not
/// do is refused with an error that names the setting.
extension SettingSources {
    /// The longest duration a setting takes: about 31 years, far past any interval or lifetime,
    /// and short enough that no conversion of it overflows.
    static let longestSeconds = 1e9

    /// The text of setting `name`, or nil when no source sets it.
    public func string(_ name: String, isSecret: Bool = false) -> String? {
        reader.string(forKey: ConfigKey([name]), isSecret: isSecret)
    }

    public func string(_ name: String, default fallback: String) -> String {
        string(name) ?? fallback
    }

    /// A value `parse` makes of the setting's text, nil when unset; `expected` says what it must
    /// be, for the error.
    public func parsed<Value>(_ name: String, expected: String, _ parse: (String) -> Value?) throws -> Value? {
        guard let raw = string(name) else { return nil }
        guard let value = parse(raw) else {
            throw SettingsError("\(name) must be \(expected), not '\(raw.prefix(60))'")
        }
        return value
    }

    /// A number of seconds (`30`, `0.5`); one below `lowest` is raised to it.
    public func seconds(_ name: String, default fallback: Double, lowest: Double = 0) throws -> Duration {
        let value =
            try parsed(name, expected: "a number of seconds") { raw -> Double? in
                guard let value = Double(raw), (0...Self.longestSeconds).contains(value) else { return nil }
                return value
            } ?? fallback
        return .milliseconds(Int64(max(value, lowest) * 1000))
    }

    /// A whole number within `range`, nil when unset.
    public func wholeNumber(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        let expected =
            range.upperBound == .max
            ? "a whole number from \(range.lowerBound)"
            : "a whole number from \(range.lowerBound) to \(range.upperBound)"
        return try parsed(name, expected: expected) { raw in Int(raw).flatMap { range.contains($0) ? $0 : nil } }
    }

    /// A setting that may be given several times as a flag, and as a comma-separated list (or a
    /// YAML sequence) elsewhere; empty items are dropped.
    public func list(_ name: String) -> [String] {
        let key = ConfigKey([name])
        let items =
            reader.stringArray(forKey: key) ?? reader.string(forKey: key)?.split(separator: ",").map(String.init)
        return (items ?? []).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `listen`, as `host:port`.
    public func listenAddress(default fallback: String) throws -> ListenAddress {
        try ListenAddress(string("listen", default: fallback))
    }

    /// `log-level`, as a swift-log level.
    public func logLevel() throws -> Logger.Level {
        try parsed("log-level", expected: "one of trace, debug, info, notice, warning, error, critical") {
            Logger.Level(rawValue: $0)
        } ?? .info
    }
}

extension Duration {
    /// The duration in seconds, for the APIs that count in `TimeInterval`.
    public var secondsValue: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
