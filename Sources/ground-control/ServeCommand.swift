import ArgumentParser
import Foundation
import GroundControl
import Logging
import NIOCore
import ProgramSupport
import ServiceLifecycle
import UnixSignals

/// `ground-control serve`: the API on SQLite or PostgreSQL.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the Ground Control API.",
        discussion: """
            The admin token comes from GROUND_CONTROL_ADMIN_TOKEN; without it, one is made on the \
            first start, printed once, and only its hash is kept.
            """)

    @Option(help: "host:port to listen on; port 0 picks a free one (default 127.0.0.1:8080).")
    var listen: String?

    @Option(help: "sqlite:PATH or postgres://user:password@host:port/database (default sqlite:ground-control.sqlite).")
    var database: String?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain; serve HTTPS with --tls-key.")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(name: .customLong("resolve-interval"), help: "Seconds between passes that resolve group tags to digests (default 60).")
    var resolveInterval: String?

    @Option(name: .customLong("robot-interval"), help: "Seconds between passes over Harbor robots when nothing changed (default 30).")
    var robotInterval: String?

    @Option(name: .customLong("health-interval"), help: "Seconds between looks at the fleet for satellite events: stale, recovered, sync failed, drift (default 5).")
    var healthInterval: String?

    @Option(name: .customLong("token-lifetime"), help: "Seconds a registration token stays usable (default 86400).")
    var tokenLifetime: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default info).")
    var logLevel: String?

    @Option(help: "YAML file of settings, named like the flags (listen, database, ...).")
    var config: String?

    @OptionGroup var connections: ConnectionOptions

    func run() async throws {
        let settings = try Settings(configPath: config, environmentPrefix: "GROUND_CONTROL_")
        var logger = Logger(label: "ground-control")
        logger.logLevel = try settings.logLevel(flag: logLevel)
        let address = try ListenAddress(settings.string("listen", flag: listen, default: "127.0.0.1:8080"))
        let databaseURL = settings.string("database", flag: database, default: "sqlite:ground-control.sqlite")
        let store = try Self.store(databaseURL, logger: logger)

        var configuration = GroundControlServer.Configuration(
            host: address.host, port: address.port,
            tlsCertificatePath: settings.string("tls-cert", flag: tlsCertificate),
            tlsKeyPath: settings.string("tls-key", flag: tlsKey),
            // Empty counts as unset, as an example env file leaves it.
            adminToken: ProcessInfo.processInfo.environment["GROUND_CONTROL_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
        configuration.resolveInterval = .seconds(max(1, try settings.seconds("resolve-interval", flag: resolveInterval, default: 60)))
        configuration.robotInterval = .seconds(max(1, try settings.seconds("robot-interval", flag: robotInterval, default: 30)))
        configuration.healthInterval = .seconds(max(1, try settings.seconds("health-interval", flag: healthInterval, default: 5)))
        configuration.tokenLifetime = max(1, try settings.seconds("token-lifetime", flag: tokenLifetime, default: 86400))
        configuration.limits = try settings.serverLimits(connections, descriptorsPerConnection: 1)
        let scheme = configuration.tlsCertificatePath == nil ? "http" : "https"
        let application = try GroundControlServer.makeApplication(
            store: store, configuration: configuration, logger: logger,
            onAdminTokenCreated: { token in
                // Shown once, on stdout only: the database keeps just its hash.
                FileHandle.standardOutput.write(Data("ground-control: admin token (shown once, keep it): \(token)\n".utf8))
            },
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? address.port
                // One machine-readable line on stdout: tests and scripts wait for it.
                FileHandle.standardOutput.write(Data("ground-control: serving \(scheme)://\(address.host):\(port)\n".utf8))
            })
        var lifecycle = ServiceGroupConfiguration(
            services: [.init(service: application)],
            gracefulShutdownSignals: [UnixSignal.sigterm, UnixSignal.sigint],
            logger: logger)
        // Long-polls get their 304 at shutdown; anything still running after this is cancelled,
        // and the process exits even if something ignores the cancellation.
        lifecycle.maximumGracefulShutdownDuration = .seconds(30)
        lifecycle.maximumCancellationDuration = .seconds(5)
        try await ServiceGroup(configuration: lifecycle).run()
    }

    static func store(_ url: String, logger: Logger) throws -> any FleetStore {
        if url.hasPrefix("sqlite:") {
            let path = String(url.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw SettingsError("database: sqlite: needs a path, as in sqlite:ground-control.sqlite") }
            return try SQLiteFleetStore(path: path)
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return try PostgresFleetStore(url: url, logger: logger)
        }
        throw SettingsError("database must be sqlite:PATH or postgres://…, not '\(url.prefix(40))…'")
    }
}
