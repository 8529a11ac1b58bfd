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

    @Option(
        name: .customLong("resolve-interval"),
        help: "Seconds between passes that resolve group tags to digests (default 60).")
    var resolveInterval: String?

    @Option(
        name: .customLong("robot-interval"),
        help: "Seconds between passes over Harbor robots when nothing changed (default 30).")
    var robotInterval: String?

    @Option(
        name: .customLong("health-interval"),
        help:
            "Seconds between looks at the fleet for satellite events: stale, recovered, sync failed, drift (default 5)."
    )
    var healthInterval: String?

    @Option(name: .customLong("token-lifetime"), help: "Seconds a registration token stays usable (default 86400).")
    var tokenLifetime: String?

    @Option(
        name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default info).")
    var logLevel: String?

    @Option(
        name: .customLong("oidc-issuer"), help: "Dashboard login through this OpenID Connect provider (its issuer URL)."
    )
    var oidcIssuer: String?

    @Option(name: .customLong("oidc-client-id"), help: "Ground Control's client id at the provider.")
    var oidcClientID: String?

    @Option(
        name: .customLong("oidc-client-secret-file"),
        help: "A file holding the client secret (never on the command line).")
    var oidcClientSecretFile: String?

    @Option(
        name: .customLong("oidc-redirect-url"),
        help: "https://<this server>/login/oidc/callback, as registered at the provider.")
    var oidcRedirectURL: String?

    @Option(name: .customLong("oidc-role-claim"), help: "The ID token claim holding groups or roles (default groups).")
    var oidcRoleClaim: String?

    @Option(
        name: .customLong("oidc-role"),
        help:
            """
            VALUE=ROLE: people whose claim holds VALUE get ROLE (admin, operator, viewer); repeat it. Settings \
            file: oidc-roles, comma-separated.
            """
    )
    var oidcRoles: [String] = []

    @Option(
        name: .customLong("oidc-username-claim"),
        help: "The claim naming the person's account (default preferred_username, then sub).")
    var oidcUsernameClaim: String?

    @Option(name: .customLong("oidc-name"), help: "The provider's name on the login button (default single sign-on).")
    var oidcName: String?

    @Option(
        name: .customLong("event-allow-host"),
        help:
            """
            A host that event subscriptions may reach although it is, or resolves to, loopback, link-local or this \
            server's own address; repeat it. Settings file: event-allow-hosts, comma-separated.
            """
    )
    var eventAllowHosts: [String] = []

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
            adminToken: ProcessInfo.processInfo.environment["GROUND_CONTROL_ADMIN_TOKEN"].flatMap {
                $0.isEmpty ? nil : $0
            })
        configuration.resolveInterval = .seconds(
            max(1, try settings.seconds("resolve-interval", flag: resolveInterval, default: 60)))
        configuration.robotInterval = .seconds(
            max(1, try settings.seconds("robot-interval", flag: robotInterval, default: 30)))
        configuration.healthInterval = .seconds(
            max(1, try settings.seconds("health-interval", flag: healthInterval, default: 5)))
        configuration.tokenLifetime = max(
            1, try settings.seconds("token-lifetime", flag: tokenLifetime, default: 86400))
        configuration.oidc = try oidc(settings)
        configuration.eventAllowedHosts =
            eventAllowHosts.isEmpty
            ? (settings.string("event-allow-hosts", flag: nil) ?? "").split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }.filter { !$0.isEmpty }
            : eventAllowHosts
        configuration.limits = try settings.serverLimits(connections, descriptorsPerConnection: 1)
        let scheme = configuration.tlsCertificatePath == nil ? "http" : "https"
        let application = try GroundControlServer.makeApplication(
            store: store, configuration: configuration, logger: logger,
            onAdminTokenCreated: { token in
                // Shown once, on stdout only: the database keeps just its hash.
                FileHandle.standardOutput.write(
                    Data("ground-control: admin token (shown once, keep it): \(token)\n".utf8))
            },
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? address.port
                // One machine-readable line on stdout: tests and scripts wait for it.
                FileHandle.standardOutput.write(
                    Data("ground-control: serving \(scheme)://\(address.host):\(port)\n".utf8))
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

    /// The OIDC settings, all or none: an issuer without a client, a secret or a redirect URL is
    /// refused at start rather than at someone's first login.
    func oidc(_ settings: Settings) throws -> OIDCConfiguration? {
        guard let issuer = settings.string("oidc-issuer", flag: oidcIssuer) else { return nil }
        guard let clientID = settings.string("oidc-client-id", flag: oidcClientID),
            let secretFile = settings.string("oidc-client-secret-file", flag: oidcClientSecretFile),
            let redirect = settings.string("oidc-redirect-url", flag: oidcRedirectURL)
        else {
            throw SettingsError("oidc-issuer needs oidc-client-id, oidc-client-secret-file and oidc-redirect-url")
        }
        guard let secret = FileManager.default.contents(atPath: secretFile) else {
            throw SettingsError("oidc-client-secret-file: cannot read \(secretFile)")
        }
        let pairs =
            oidcRoles.isEmpty
            ? (settings.string("oidc-roles", flag: nil) ?? "").split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            : oidcRoles
        let roles: [String: Role]
        do {
            roles = try OIDCConfiguration.roles(pairs)
        } catch let error as GroundControlError {
            throw SettingsError(error.message)
        }
        guard !roles.isEmpty else {
            throw SettingsError("oidc-issuer needs at least one oidc-role VALUE=ROLE, or nobody could log in")
        }
        return OIDCConfiguration(
            issuer: issuer, clientID: clientID,
            clientSecret: String(decoding: secret, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
            redirectURL: redirect,
            roleClaim: settings.string("oidc-role-claim", flag: oidcRoleClaim, default: "groups"), roles: roles,
            usernameClaim: settings.string(
                "oidc-username-claim", flag: oidcUsernameClaim, default: "preferred_username"),
            displayName: settings.string("oidc-name", flag: oidcName, default: "single sign-on"))
    }

    static func store(_ url: String, logger: Logger) throws -> any FleetStore {
        if url.hasPrefix("sqlite:") {
            let path = String(url.dropFirst("sqlite:".count))
            guard !path.isEmpty else {
                throw SettingsError("database: sqlite: needs a path, as in sqlite:ground-control.sqlite")
            }
            return try SQLiteFleetStore(path: path)
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return try PostgresFleetStore(url: url, logger: logger)
        }
        throw SettingsError("database must be sqlite:PATH or postgres://…, not '\(url.prefix(40))…'")
    }
}
