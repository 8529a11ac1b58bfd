import FleetDomain
import FleetIdentity
import Foundation
import HTTPServerSupport
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// Builds Ground Control: the API on a fleet store, the revision watcher and the tag resolver,
/// as one application whose services share its lifetime.
public enum GroundControlServer {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var tlsCertificatePath: String?
        public var tlsKeyPath: String?
        /// The admin token to accept (`GROUND_CONTROL_ADMIN_TOKEN`); nil makes one on first start.
        public var adminToken: String?
        /// How long a registration token stays usable.
        public var tokenLifetime: TimeInterval = 24 * 3600
        /// How often tags are resolved again.
        public var resolveInterval: Duration = .seconds(60)
        /// How often Harbor robots are checked when nothing changed (expiry, confirmations).
        public var robotInterval: Duration = .seconds(30)
        /// How often the fleet view is compared with what was seen, for satellite events.
        public var healthInterval: Duration = .seconds(5)
        /// How often rollouts under way are judged: a wave follows its gate within this.
        public var rolloutInterval: Duration = .milliseconds(250)
        /// Dashboard login through an OpenID Connect provider, besides passwords.
        public var oidc: OIDCConfiguration?
        /// Hosts events may go to even where they are, or resolve to, loopback, link-local or
        /// this server's own addresses.
        public var eventAllowedHosts: [String] = []
        /// How often the fleet revision is read for changes made by other processes.
        public var revisionPollInterval: Duration = .milliseconds(250)
        /// How often received heartbeats are written, in one transaction.
        public var heartbeatFlushInterval: Duration = .milliseconds(500)
        /// Longest `?wait=` a long-poll may ask for.
        public var longestWaitSeconds = 300
        /// The quiet heartbeat interval and long-poll wait satellites are asked to use.
        public var cadence = SatelliteCadence()
        public var bodyLimit = APIBody.defaultLimit
        /// Header and idle timeouts and the connection ceiling (a long-poll holds one connection
        /// per satellite, and no file).
        public var limits = ServerLimits(descriptorsPerConnection: 1)
        /// The satellites' trust domain, their certificates' lifetime and an operator's authority.
        public var identity = IdentitySettings()
        /// How satellites authenticate (`--satellite-auth`); certificates need TLS.
        public var satelliteAuth = SatelliteAuthMode.both
        /// An operator's SPIFFE trust bundle (`--spiffe-trust-bundle`), re-read every
        /// `trustBundleInterval`: satellites' certificates chain to it rather than to Ground
        /// Control's own authority (`identity.externalPattern` names them).
        public var spiffeTrustBundle: String?
        public var trustBundleInterval: Duration = .seconds(2)

        public init(
            host: String, port: Int, tlsCertificatePath: String? = nil, tlsKeyPath: String? = nil,
            adminToken: String? = nil
        ) {
            self.host = host
            self.port = port
            self.tlsCertificatePath = tlsCertificatePath
            self.tlsKeyPath = tlsKeyPath
            self.adminToken = adminToken
        }
    }

    /// The application; run it (it is a `Service`) to migrate the database, then serve.
    /// - Parameter onAdminTokenCreated: receives the admin token made on first start, to show once.
    public static func makeApplication(
        store: any FleetStore, configuration: Configuration, logger: Logger,
        metrics: GroundControlMetrics = GroundControlMetrics(),
        onAdminTokenCreated: @escaping @Sendable (String) -> Void = { _ in },
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let fleet = Fleet(
            store: store, tokenLifetime: configuration.tokenLifetime,
            eventTargets: EventTargetPolicy(allowedHosts: configuration.eventAllowedHosts),
            identity: configuration.identity)
        let gate = StartupGate()
        let watcher = RevisionWatcher(
            fleet: fleet, interval: configuration.revisionPollInterval, logger: logger, metrics: metrics,
            ready: gate.wait)
        let resolver = TagResolver(
            fleet: fleet, interval: configuration.resolveInterval, logger: logger, ready: gate.wait)
        let robots = HarborRobotKeeper(
            fleet: fleet, interval: configuration.robotInterval, logger: logger, metrics: metrics, ready: gate.wait)
        // Every change this process commits wakes the long-polls it may concern now, rather than
        // at the watcher's next read, and a changed registry or group is resolved at once.
        fleet.observers.observe { change in
            if change.resolveTags { resolver.poke() }
            if change.revision != nil { await watcher.poll() }
        }
        let health = FleetHealthWatcher(
            fleet: fleet, interval: configuration.healthInterval, logger: logger, ready: gate.wait)
        let deliverer = EventDeliverer(fleet: fleet, logger: logger, ready: gate.wait)
        // Every process judges the rollouts under way; each move is made from the version read,
        // so a wave moves on exactly once.
        let pacing = RolloutPacing()
        let rollouts = PeriodicFleetJob(
            interval: configuration.rolloutInterval, failure: "cannot judge the rollouts under way", logger: logger,
            ready: gate.wait
        ) { try await fleet.rollouts.advance(pacing: pacing) }
        let keys = SigningKeys()
        let tls = configuration.tlsCertificatePath != nil
        if configuration.satelliteAuth == .mtls && !tls {
            throw ServerTLSError(description: "--satellite-auth mtls needs --tls-cert and --tls-key")
        }
        let certificates = tls && configuration.satelliteAuth.asksForCertificates ? SatelliteCertificates() : nil
        let spiffeBundle = try spiffeTrustBundle(
            configuration, certificates: certificates, logger: logger, ready: gate.wait)
        let heartbeats = HeartbeatWriter(fleet: fleet, interval: configuration.heartbeatFlushInterval, logger: logger)
        let api = GroundControlAPI(
            fleet: fleet, watcher: watcher, resolver: resolver, cache: FleetCache(fleet: fleet, keys: keys),
            heartbeats: heartbeats,
            metrics: metrics, keys: keys,
            bodyLimit: configuration.bodyLimit, longestWait: configuration.longestWaitSeconds,
            cadence: configuration.cadence,
            templates: try DashboardTemplates(),
            oidc: configuration.oidc.map { OIDCProvider(configuration: $0) },
            satelliteAuth: configuration.satelliteAuth, certificates: certificates)

        let router = Router(context: GroundControlContext.self)
        router.add(middleware: APIErrorMiddleware(metrics: metrics, logger: logger, templates: api.templates))
        api.addOperationsRoutes(to: router)
        api.addAdminRoutes(to: router)
        api.addRolloutRoutes(to: router)
        api.addDemandRoutes(to: router)
        api.addBundleRoutes(to: router)
        api.addPeopleRoutes(to: router)
        api.addSatelliteRoutes(to: router)
        api.addEventRoutes(to: router)
        api.addSubscriptionRoutes(to: router)
        api.addDashboardRoutes(to: router)

        var application = Application(
            router: router,
            server: try HTTPServerBuilder.http1(
                tlsCertificatePath: configuration.tlsCertificatePath, tlsKeyPath: configuration.tlsKeyPath,
                limits: configuration.limits, clientCertificates: certificates?.policy),
            // A fleet reconnects at once after a restart: a short accept queue drops SYNs, and
            // each drop costs the client a second or more of TCP retransmission.
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: nil, backlog: 4096),
            services: [store, watcher, resolver, robots, heartbeats, health, deliverer, rollouts]
                + [spiffeBundle].compactMap { $0 },
            onServerRunning: onServerRunning,
            logger: logger)
        let cache = api.cache
        application.beforeServerStarts {
            await watcher.narrowWakeUps { from, to in await cache.affectedSatellites(from: from, to: to) }
            // Open the gate even on failure, so the services see the cancellation and stop.
            defer { gate.open() }
            try await fleet.prepare()
            if let token = try await fleet.ensureAdminToken(environmentToken: configuration.adminToken) {
                onAdminTokenCreated(token)
            }
            api.keys.set(try await fleet.signingKey())
            // Made at first start, so its bundle can be handed out before the first satellite.
            let authority = try await fleet.certificateAuthority()
            certificates?.set(try spiffeBundle?.load() ?? authority.trust)
        }
        return application
    }

    /// The operator's bundle to watch, when satellites' certificates come from SPIRE.
    private static func spiffeTrustBundle(
        _ configuration: Configuration, certificates: SatelliteCertificates?, logger: Logger,
        ready: @escaping @Sendable () async -> Void
    ) throws -> SPIFFETrustBundle? {
        guard let path = configuration.spiffeTrustBundle else { return nil }
        guard configuration.identity.externalPattern != nil else {
            throw SPIFFEBundleError(description: "spiffe-trust-bundle and spiffe-id-pattern go together")
        }
        guard let certificates else {
            throw SPIFFEBundleError(
                description: "spiffe-trust-bundle needs --tls-cert and --tls-key, and --satellite-auth mtls or both")
        }
        let bundle = SPIFFETrustBundle(
            path: path, certificates: certificates, interval: configuration.trustBundleInterval, logger: logger,
            ready: ready)
        // A bad bundle stops the start here, before anything listens.
        _ = try bundle.load()
        return bundle
    }
}
