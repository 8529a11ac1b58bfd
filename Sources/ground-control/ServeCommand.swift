import ArgumentParser
import FleetDomain
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

    @Option(
        name: .customLong("secret-key-file"),
        help:
            """
            The key that seals the secrets the database keeps, made owner-only at first start when absent (default: \
            the SQLite file's path with .key appended; needed with PostgreSQL).
            """)
    var secretKeyFile: String?

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

    @Option(
        name: .customLong("quiet-heartbeat-seconds"),
        help: """
            Seconds a satellite whose status has not changed, and whose long-poll is held, may go between \
            heartbeats (default 300; never less than its heartbeat interval).
            """)
    var quietHeartbeatSeconds: String?

    @Option(
        name: .customLong("poll-wait-seconds"),
        help: "Seconds satellites are asked to hold each long-poll for (default 60, at most 300).")
    var pollWaitSeconds: String?

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

    @Option(
        name: .customLong("satellite-auth"),
        help:
            """
            How satellites prove who they are: mtls (client certificates only), credential (bearer only) or both \
            (default; a certificate when presented). Certificates need --tls-cert and --tls-key.
            """
    )
    var satelliteAuth: String?

    @Option(help: "YAML file of settings, named like the flags (listen, database, ...).")
    var config: String?

    @OptionGroup var connections: ConnectionOptions

    @OptionGroup var identity: IdentityOptions

    func run() async throws {
        let settings = try ServeSettings(try await .groundControl(flags, config: config))
        var logger = Logger(label: "ground-control")
        logger.logLevel = settings.logLevel
        let address = settings.listen
        let store = try settings.database.openStore(logger: logger)
        let configuration = settings.configuration
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
}
