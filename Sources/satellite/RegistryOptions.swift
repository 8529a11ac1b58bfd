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

/// A registry-serving process set up from its settings: the logger its level controls and the
/// registry the runtime serves.
struct RegistrySetup {
    let logger: Logger
    /// The level every logger of the process follows; Ground Control may change it.
    let logLevel: LogLevelControl
    var registry: SatelliteRuntime.Registry
    let scheme: String
    let host: String

    init(_ settings: RegistrySettings, readOnly: Bool) throws {
        logLevel = LogLevelControl(settings.logLevel)
        let logger = logLevel.logger(label: "satellite")
        self.logger = logger
        scheme = settings.tlsCertificate == nil ? "http" : "https"
        host = settings.listen.host
        var server = RegistryServer.Configuration(
            host: settings.listen.host, port: settings.listen.port, tlsCertificatePath: settings.tlsCertificate,
            tlsKeyPath: settings.tlsKey, readOnly: readOnly)
        server.limits = settings.limits
        try DataDirectoryMode.apply(settings.dataMode, to: settings.dataDirectory, warn: { logger.warning("\($0)") })
        registry = SatelliteRuntime.Registry(directory: DataDirectory(settings.dataDirectory), server: server)
        registry.store.garbageGracePeriod = settings.gcGrace.secondsValue
        registry.garbageCollectionInterval = settings.gcInterval
        registry.cacheMaxBytes = settings.cacheMaxBytes
        registry.cacheMinAge = settings.cacheMinAge.secondsValue
    }

    /// Builds the runtime; once it listens, prints the one machine-readable line tests and
    /// scripts wait for.
    func runtime(agent: SatelliteRuntime.Agent? = nil) throws -> SatelliteRuntime {
        var served = scheme
        if case .groundControl(let options) = agent?.source, options.servingNames != nil { served = "https" }
        let (scheme, host, directory, logLevel) = (served, host, registry.directory, logLevel)
        return try SatelliteRuntime(
            registry: registry, agent: agent, logger: logger, setLogLevel: { logLevel.current = $0 },
            onServing: { port in
                FileHandle.standardOutput.write(
                    Data("satellite: serving \(scheme)://\(host):\(port) from \(directory)\n".utf8))
            },
            onAdmissionServing: { [admission = agent?.admission] port in
                FileHandle.standardOutput.write(
                    Data("satellite: admission webhook at https://\(admission?.host ?? host):\(port)/mutate\n".utf8))
            },
            onProxyServing: { [proxy = agent?.proxy] port in
                FileHandle.standardOutput.write(
                    Data("satellite: HTTPS proxy at http://\(proxy?.host ?? host):\(port)\n".utf8))
            })
    }
}
