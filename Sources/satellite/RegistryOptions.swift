import ArgumentParser
import Foundation
import Logging
import NIOCore
import ProgramSupport
import RegistryServer
import RegistryStore
import ServiceLifecycle
import UnixSignals

/// The flags every registry-serving command shares.
struct RegistryOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Directory holding blobs, uploads and registry.sqlite (default ./satellite-data).")
    var dataDirectory: String?

    @Option(help: "host:port to listen on; port 0 picks a free one (default 127.0.0.1:5050).")
    var listen: String?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain; serve HTTPS with --tls-key.")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(name: .customLong("gc-interval"), help: "Seconds between garbage collection passes (default 3600).")
    var gcInterval: String?

    @Option(name: .customLong("gc-grace"), help: "Seconds an unreferenced blob is kept before collection (default 3600).")
    var gcGrace: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default info).")
    var logLevel: String?

    @Option(help: "YAML file of settings, named like the flags (data-dir, listen, ...).")
    var config: String?

    @OptionGroup var connections: ConnectionOptions
}

/// The registry part of a running satellite: store, HTTP application, garbage collector.
struct RegistryRuntime {
    let settings: Settings
    let logger: Logger
    /// The level every logger of the process follows; Ground Control may change it.
    let logLevel: LogLevelControl
    let store: RegistryStore
    let directory: String
    let services: [any Service]

    init(_ options: RegistryOptions, readOnly: Bool) throws {
        settings = try Settings(configPath: options.config, environmentPrefix: "SATELLITE_")
        logLevel = LogLevelControl(try settings.logLevel(flag: options.logLevel))
        logger = logLevel.logger(label: "satellite")

        let address = try ListenAddress(settings.string("listen", flag: options.listen, default: "127.0.0.1:5050"))
        var storeOptions = RegistryStore.Options()
        storeOptions.garbageGracePeriod = try settings.seconds("gc-grace", flag: options.gcGrace, default: 3600)
        let interval = try settings.seconds("gc-interval", flag: options.gcInterval, default: 3600)
        let directory = settings.string("data-dir", flag: options.dataDirectory, default: "satellite-data")
        self.directory = directory

        store = try RegistryStore(directory: directory, options: storeOptions, logger: logger)
        let certificate = settings.string("tls-cert", flag: options.tlsCertificate)
        let scheme = certificate == nil ? "http" : "https"
        var configuration = RegistryServer.Configuration(
            host: address.host, port: address.port, tlsCertificatePath: certificate,
            tlsKeyPath: settings.string("tls-key", flag: options.tlsKey), readOnly: readOnly)
        configuration.limits = try settings.serverLimits(options.connections, descriptorsPerConnection: 2)
        let application = try RegistryServer.makeApplication(
            store: store,
            metrics: RegistryMetrics(),
            configuration: configuration,
            logger: logger,
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? address.port
                // One machine-readable line on stdout: tests and scripts wait for it.
                let line = "satellite: serving \(scheme)://\(address.host):\(port) from \(directory)\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            })
        let collector = GarbageCollectionService(store: store, interval: .seconds(max(interval, 1)), logger: logger)
        services = [application, collector, MemoryReturnService()]
    }

    /// Runs the services (and any extra) until SIGTERM or SIGINT.
    func run(adding extra: [any Service] = []) async throws {
        let group = ServiceGroup(
            configuration: .init(services: services + extra, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
