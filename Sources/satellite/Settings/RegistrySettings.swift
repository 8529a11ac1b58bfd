import HTTPServerSupport
import Logging
import ProgramSupport
import SatelliteProtocol

#if canImport(Glibc)
import Glibc
#endif

/// What every registry-serving command is set up with, read and checked at start.
struct RegistrySettings {
    var logLevel: Logger.Level
    var listen: ListenAddress
    var tlsCertificate: String?
    var tlsKey: String?
    var limits: ServerLimits
    var dataDirectory: String
    var dataMode: mode_t
    var gcGrace: Duration
    var gcInterval: Duration
    /// The budget of pulled-through content; only `serve --proxy-upstream` has any.
    var cacheMaxBytes: Int64?
    var cacheMinAge: Duration

    init(_ settings: SettingSources) throws {
        logLevel = try settings.logLevel()
        listen = try settings.listenAddress(default: "127.0.0.1:5050")
        tlsCertificate = settings.string("tls-cert")
        tlsKey = settings.string("tls-key")
        limits = try settings.serverLimits(descriptorsPerConnection: 2)
        dataDirectory = settings.string("data-dir", default: "satellite-data")
        dataMode = try DataDirectoryMode.parse(settings.string("data-mode"))
        gcGrace = try settings.seconds("gc-grace", default: 3600)
        gcInterval = try settings.seconds("gc-interval", default: 3600, lowest: 1)
        cacheMaxBytes = try settings.bytes("cache-max-bytes")
        cacheMinAge = try settings.seconds("cache-min-age", default: 60)
    }
}

extension RegistryOptions {
    /// These flags as settings, for `SettingSources`.
    var flags: FlagValues {
        var flags = FlagValues([
            "data-dir": dataDirectory, "data-mode": dataMode, "listen": listen, "tls-cert": tlsCertificate,
            "tls-key": tlsKey, "gc-interval": gcInterval, "gc-grace": gcGrace, "cache-max-bytes": cacheMaxBytes,
            "cache-min-age": cacheMinAge, "log-level": logLevel,
        ])
        connections.flags(into: &flags)
        return flags
    }

    /// The settings from `flags` (these, and a command's own), `SATELLITE_*` and the `--config` file.
    func sources(_ flags: FlagValues? = nil) async throws -> SettingSources {
        try await SettingSources(flags: flags ?? self.flags, configPath: config, environmentPrefix: "SATELLITE_")
    }
}

extension SettingSources {
    /// A byte count written like `500000`, `512K`, `10M` or `1G` (powers of 1024); nil when unset.
    func bytes(_ name: String) throws -> Int64? {
        try parsed(name, expected: "a positive number of bytes (K, M, G, T allowed)", ByteSize.parse)
    }
}
