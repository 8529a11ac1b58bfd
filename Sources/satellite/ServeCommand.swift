import ArgumentParser
import Foundation
import Logging
import NIOCore
import RegistryServer
import RegistryStore
import ServiceLifecycle
import UnixSignals

/// `satellite serve`: a plain read-write OCI registry on local disk, with no agent.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a read-write OCI registry from a data directory.")

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

    func run() async throws {
        let settings = try Settings(configPath: config)
        let levelName = settings.string("log-level", flag: logLevel, default: "info")
        guard let level = Logger.Level(rawValue: levelName) else {
            throw SettingsError("log-level must be one of trace, debug, info, notice, warning, error, critical; not '\(levelName)'")
        }
        var logger = Logger(label: "satellite")
        logger.logLevel = level

        let address = try ListenAddress(settings.string("listen", flag: listen, default: "127.0.0.1:5050"))
        var options = RegistryStore.Options()
        options.garbageGracePeriod = try settings.seconds("gc-grace", flag: gcGrace, default: 3600)
        let interval = try settings.seconds("gc-interval", flag: gcInterval, default: 3600)
        let directory = settings.string("data-dir", flag: dataDirectory, default: "satellite-data")

        let store = try RegistryStore(directory: directory, options: options, logger: logger)
        let scheme = settings.string("tls-cert", flag: tlsCertificate) == nil ? "http" : "https"
        let application = try RegistryServer.makeApplication(
            store: store,
            metrics: RegistryMetrics(),
            configuration: .init(
                host: address.host, port: address.port,
                tlsCertificatePath: settings.string("tls-cert", flag: tlsCertificate),
                tlsKeyPath: settings.string("tls-key", flag: tlsKey)),
            logger: logger,
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? address.port
                // One machine-readable line on stdout: tests and scripts wait for it.
                let line = "satellite: serving \(scheme)://\(address.host):\(port) from \(directory)\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            })
        let collector = GarbageCollectionService(store: store, interval: .seconds(max(interval, 1)), logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [application, collector],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}
