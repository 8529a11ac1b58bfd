import ArgumentParser
import Foundation
import Logging
import ProgramSupport
import RegistryServer
import RegistryStore
import Satellite

/// The flags every registry-serving command shares.
struct RegistryOptions: ParsableArguments {
    @Option(
        name: .customLong("data-dir"),
        help: "Directory holding blobs, uploads and registry.sqlite (default ./satellite-data).")
    var dataDirectory: String?

    @Option(name: .customLong("data-mode"), help: ArgumentHelp(stringLiteral: DataDirectoryMode.flagHelp))
    var dataMode: String?

    @Option(help: "host:port to listen on; port 0 picks a free one (default 127.0.0.1:5050).")
    var listen: String?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain; serve HTTPS with --tls-key.")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(name: .customLong("gc-interval"), help: "Seconds between garbage collection passes (default 3600).")
    var gcInterval: String?

    @Option(
        name: .customLong("gc-grace"), help: "Seconds an unreferenced blob is kept before collection (default 3600).")
    var gcGrace: String?

    @Option(
        name: .customLong("cache-max-bytes"),
        help:
            """
            Disk budget for pulled-through content (500M, 20G…): least recently pulled goes first when over it. \
            Content a desired state names never counts.
            """
    )
    var cacheMaxBytes: String?

    @Option(
        name: .customLong("cache-min-age"),
        help:
            """
            Seconds a pulled-through manifest stays after its last pull, even over the budget, so that a pull \
            under way finds its blobs (default 60).
            """
    )
    var cacheMinAge: String?

    @Option(
        name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default info).")
    var logLevel: String?

    @Option(help: "YAML file of settings, named like the flags (data-dir, listen, ...).")
    var config: String?

    @OptionGroup var connections: ConnectionOptions
}

/// The registry settings read from flags, environment and the settings file, with the logger
/// they configure.
struct RegistrySettings {
    let settings: Settings
    let logger: Logger
    /// The level every logger of the process follows; Ground Control may change it.
    let logLevel: LogLevelControl
    var registry: SatelliteRuntime.Registry
    let scheme: String
    let host: String

    init(_ options: RegistryOptions, readOnly: Bool) throws {
        settings = try Settings(configPath: options.config, environmentPrefix: "SATELLITE_")
        logLevel = LogLevelControl(try settings.logLevel(flag: options.logLevel))
        logger = logLevel.logger(label: "satellite")

        let address = try ListenAddress(settings.string("listen", flag: options.listen, default: "127.0.0.1:5050"))
        let certificate = settings.string("tls-cert", flag: options.tlsCertificate)
        scheme = certificate == nil ? "http" : "https"
        host = address.host
        var server = RegistryServer.Configuration(
            host: address.host, port: address.port, tlsCertificatePath: certificate,
            tlsKeyPath: settings.string("tls-key", flag: options.tlsKey), readOnly: readOnly)
        server.limits = try settings.serverLimits(options.connections, descriptorsPerConnection: 2)
        let directory = settings.string("data-dir", flag: options.dataDirectory, default: "satellite-data")
        let logger = self.logger
        try DataDirectoryMode.apply(
            try DataDirectoryMode.parse(settings.string("data-mode", flag: options.dataMode)), to: directory,
            warn: { logger.warning("\($0)") })
        var registry = SatelliteRuntime.Registry(directory: DataDirectory(directory), server: server)
        registry.store.garbageGracePeriod = try settings.seconds("gc-grace", flag: options.gcGrace, default: 3600)
        registry.garbageCollectionInterval = .seconds(
            max(try settings.seconds("gc-interval", flag: options.gcInterval, default: 3600), 1))
        if let raw = settings.string("cache-max-bytes", flag: options.cacheMaxBytes) {
            registry.cacheMaxBytes = try ByteCount.parse(raw, setting: "cache-max-bytes")
        }
        registry.cacheMinAge = try settings.seconds("cache-min-age", flag: options.cacheMinAge, default: 60)
        self.registry = registry
    }

    /// Builds the runtime; once it listens, prints the one machine-readable line tests and
    /// scripts wait for.
    func runtime(agent: SatelliteRuntime.Agent? = nil) throws -> SatelliteRuntime {
        let (scheme, host, directory, logLevel) = (scheme, host, registry.directory, logLevel)
        return try SatelliteRuntime(
            registry: registry, agent: agent, logger: logger, setLogLevel: { logLevel.current = $0 },
            onServing: { port in
                FileHandle.standardOutput.write(
                    Data("satellite: serving \(scheme)://\(host):\(port) from \(directory)\n".utf8))
            })
    }
}
