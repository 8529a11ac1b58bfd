import Foundation
import HTTPServerSupport
import Logging
import NIOCore
import RegistryServer
import RegistryStore
import Replication
import RuntimeConfig
import SatelliteProtocol
import ServiceLifecycle
import StateContent
import UnixSignals

/// A satellite's running parts, wired into one `ServiceGroup`: the store and the registry that
/// serves it, the garbage collector, and for an agent the desired-state source, replication, the
/// status snapshot and the Ground Control link.
public struct SatelliteRuntime {
    /// The registry every satellite serves.
    public struct Registry: Sendable {
        public var directory: DataDirectory
        public var store = RegistryStore.Options()
        public var server: RegistryServer.Configuration
        public var garbageCollectionInterval: Duration = .seconds(3600)
        /// A plain registry's pull-through (`satellite serve --proxy-upstream`); an agent's
        /// comes with its desired state.
        public var proxy: ServeProxy?
        /// Bytes pulled-through content may take (`--cache-max-bytes`); Ground Control's setting
        /// replaces it for an agent.
        public var cacheMaxBytes: Int64?
        /// Seconds a pulled-through manifest is kept after its last pull, even over the budget.
        public var cacheMinAge: Double = 60

        public init(directory: DataDirectory, server: RegistryServer.Configuration) {
            self.directory = directory
            self.server = server
        }
    }

    /// One upstream a plain registry pulls through, its names kept as they are there.
    public struct ServeProxy: Sendable {
        public var upstream: DesiredState.Upstream
        public var rule: DesiredState.ProxyRule
        public var sources = UpstreamSources.Options()

        public init(upstream: DesiredState.Upstream, rule: DesiredState.ProxyRule) {
            self.upstream = upstream
            self.rule = rule
        }
    }

    /// Where an agent's desired state comes from.
    public enum StateSource: Sendable {
        case file(StateFileSource.Options)
        case groundControl(GroundControlLink.Options)
    }

    /// What an agent adds to the registry.
    public struct Agent: Sendable {
        public var source: StateSource
        public var replicator = Replicator.Options()
        public var upstreams = UpstreamSources.Options()
        /// How the site's peers are asked and waited for.
        public var site = Site.Options()
        public var replication = ReplicationService.Options()
        /// The node's runtimes to point at this satellite (`--configure-runtime`).
        public var runtimes = RuntimeMirrors.AgentOptions(runtimes: [], advertised: nil)
        /// The Kubernetes admission webhook that sends pods' images here (`--admission-listen`).
        public var admission: AdmissionWebhook?
        /// The HTTPS proxy devices reach this satellite through (`--http-proxy-listen`).
        public var proxy: SiteProxy?
        /// The site's other satellites found by DNS (`--site-peers-dns`).
        public var peersDNS: SitePeersDNS?

        public init(source: StateSource) { self.source = source }
    }

    public let store: RegistryStore
    let lock: DataDirectoryLock
    let logger: Logger
    let services: [any Service]

    /// A plain registry, or an agent when `agent` is given. `onServing` hears the address once
    /// the server listens; `setLogLevel` applies the level Ground Control asks for.
    public init(
        registry: Registry, agent: Agent? = nil, logger: Logger,
        setLogLevel: @escaping @Sendable (Logger.Level) -> Void = { _ in },
        onServing: @escaping @Sendable (_ port: Int) -> Void = { _ in },
        onAdmissionServing: @escaping @Sendable (_ port: Int) -> Void = { _ in },
        onProxyServing: @escaping @Sendable (_ port: Int) -> Void = { _ in }
    ) throws {
        self.logger = logger
        // One process per data directory: `satellite import` must not rewrite a store being served.
        lock = try DataDirectoryLock(directory: registry.directory, purpose: "serving it from another")
        let store = try RegistryStore(directory: registry.directory.store, options: registry.store, logger: logger)
        self.store = store
        let configuredPort = registry.server.port
        // An agent keeps each upstream's content apart and pulls through what its rules allow; a
        // plain registry keeps names as pushed.
        let metrics = RegistryMetrics()
        let pullThroughMetrics = PullThroughMetrics(prometheus: metrics.prometheus)
        let namespaces = agent.map { _ in UpstreamNamespaces() }
        let sources: (any ContentSources)?
        let pullThrough: PullThrough?
        var peering: SitePeering?
        var upstreamLink: UpstreamLink?
        // An agent counts what devices ask for that it does not hold; a plain registry does not.
        let demand = agent.map { _ in DemandRecorder(directory: registry.directory, logger: logger) }
        if let agent {
            // An agent asks the satellites of its site before each upstream, and serves them.
            let siteMetrics = SiteMetrics(prometheus: metrics.prometheus)
            let site = Site(options: agent.site, logger: logger) { siteMetrics.fetched($1, from: $0) }
            let advertised = agent.runtimes.advertised
            // Peers serving with Ground Control's certificates are trusted by its authority.
            var servingCA: String?
            if case .groundControl(let options) = agent.source, options.servingNames != nil {
                servingCA = registry.directory.trustBundle
            }
            peering = SitePeering(
                site: site, ownURL: advertised?.endpoints.first?.url, caFile: advertised?.ca?.path ?? servingCA,
                metrics: siteMetrics, logger: logger)
            // Both kinds of upstream request pass the sync windows, which treat them apart.
            let upstreams = UpstreamSources(options: agent.upstreams, logger: logger)
            let link = UpstreamLink(
                windows: LinkWindows(directory: registry.directory, logger: logger),
                meter: UpstreamMeter(
                    directory: registry.directory, logger: logger,
                    metrics: MeterMetrics(prometheus: metrics.prometheus)))
            upstreamLink = link
            sources = SiteSources(upstreams: GatedSources(upstreams, gate: link, use: .sync), site: site)
            pullThrough = PullThrough(
                sources: SiteSources(upstreams: GatedSources(upstreams, gate: link, use: .pullThrough), site: site),
                store: store, logger: logger, metrics: pullThroughMetrics)
        } else if let proxy = registry.proxy {
            sources = UpstreamSources(options: proxy.sources, logger: logger)
            pullThrough = sources.map {
                PullThrough(
                    sources: $0, store: store, logger: logger, naming: .flat(upstream: proxy.upstream.name),
                    metrics: pullThroughMetrics)
            }
            pullThrough?.follow(
                DesiredState(generation: 0, upstreams: [proxy.upstream], artifacts: [], proxy: [proxy.rule]))
        } else {
            (sources, pullThrough) = (nil, nil)
        }
        var server = registry.server
        let serving = try Self.servingFromGroundControl(agent, directory: registry.directory)
        server.serving = serving
        let application = try RegistryServer.makeApplication(
            store: store, metrics: metrics, configuration: server, logger: logger,
            namespaces: namespaces ?? FlatNamespaces(), onDemand: pullThrough ?? NoContentOnDemand(),
            sitePeers: peering ?? NoSitePeers(), demand: demand ?? NoDemandLog(),
            onServerRunning: { channel in onServing(channel.localAddress?.port ?? configuredPort) })
        let collector = GarbageCollectionService(
            store: store, interval: registry.garbageCollectionInterval, logger: logger)
        var services: [any Service] = [application, collector, MemoryReturnService()]
        if let pullThrough {
            services.append(
                CacheBudget(
                    options: .init(localMaxBytes: registry.cacheMaxBytes, minAge: registry.cacheMinAge),
                    pullThrough: pullThrough, store: store,
                    metrics: pullThroughMetrics, logger: logger))
        }
        if let agent, let namespaces, let sources, let pullThrough, let peering, let upstreamLink, let demand {
            var observers: [any SyncObserver] = []
            var admissionServing: ServingTLS?
            if let webhook = agent.admission {
                let images = AdmissionImages(
                    advertised: webhook.advertised, pinDigests: webhook.pinDigests, namespaces: namespaces,
                    store: store, link: upstreamLink)
                observers.append(images)
                admissionServing = try Self.admissionFromGroundControl(agent, directory: registry.directory)
                services += try webhook.services(
                    mirror: images, fromGroundControl: admissionServing, logger: logger, onServing: onAdmissionServing)
            }
            if let dns = agent.peersDNS {
                services.append(SitePeersDiscovery(dns: dns, peering: peering, logger: logger))
            }
            if let proxy = agent.proxy {
                services.append(
                    try proxy.service(
                        dataDirectory: registry.directory, store: store, metrics: metrics, namespaces: namespaces,
                        onDemand: pullThrough, demand: demand, logger: logger, onServing: onProxyServing))
            }
            services += Self.agentServices(
                agent, registry: registry, store: store, namespaces: namespaces, sources: sources,
                pullThrough: pullThrough, link: upstreamLink, demand: demand, observers: observers,
                peering: peering, serving: serving, admissionServing: admissionServing, logger: logger,
                setLogLevel: setLogLevel)
        }
        self.services = services
    }

    private static func agentServices(
        _ agent: Agent, registry: Registry, store: RegistryStore, namespaces: UpstreamNamespaces,
        sources: any ContentSources, pullThrough: PullThrough, link: UpstreamLink, demand: DemandRecorder,
        observers extra: [any SyncObserver], peering: SitePeering, serving: ServingTLS?, admissionServing: ServingTLS?,
        logger: Logger, setLogLevel: @escaping @Sendable (Logger.Level) -> Void
    ) -> [any Service] {
        let inbox = DesiredStateInbox()
        let origin =
            switch agent.source {
            case .file(let options): options.path
            case .groundControl(let options): options.url
            }
        let snapshot = StatusSnapshot(
            dataDirectory: registry.directory, stateSource: origin, store: store, logger: logger,
            isCached: { [pullThrough] in pullThrough.isCached($0) }, site: { [peering] in peering.report },
            link: { [link] in link.windows.report() }, meter: { [link] in link.meter.report() },
            demand: { [demand] in demand.report() })
        let source: any Service =
            switch agent.source {
            case .file(let options):
                StateFileSource(options: options, inbox: inbox, logger: logger)
            case .groundControl(let options):
                GroundControlLink(
                    options: options, inbox: inbox, snapshot: snapshot, logger: logger, setLogLevel: setLogLevel,
                    onIdentity: { [peering] identity, trust in peering.present(identity, trust: trust) },
                    serving: serving, admissionServing: admissionServing)
            }
        var runtimes = agent.runtimes
        if serving != nil { runtimes.servingCA = registry.directory.trustBundle }
        let replicator = Replicator(store: store, sources: sources, options: agent.replicator, logger: logger)
        let replication = ReplicationService(
            options: agent.replication, inbox: inbox, replicator: replicator, snapshot: snapshot, windows: link.windows,
            observers: [
                link.windows, link.meter, demand,
                // First: the sync that follows asks the peers the state names.
                peering,
                NamespaceRefresh(namespaces: namespaces, store: store, logger: logger),
                pullThrough,
                RuntimeConfiguring(options: runtimes, logger: logger),
            ] + extra,
            logger: logger)
        return [source, replication, demand]
    }

    /// The listener's certificate when Ground Control gives it (`--tls-from-ground-control`):
    /// the one a run before kept, served at once; the link keeps it renewed.
    private static func servingFromGroundControl(_ agent: Agent?, directory: DataDirectory) throws -> ServingTLS? {
        guard case .groundControl(let options) = agent?.source, options.servingNames != nil else { return nil }
        let serving = ServingTLS(asksClientCertificates: true)
        if let held = try IdentityFiles(dataDirectory: directory).serving() { try serving.serve(held) }
        return serving
    }

    /// The webhook's certificate when Ground Control gives it (`--admission-tls-from-ground-control`):
    /// the one a run before kept, served at once; the link keeps it renewed.
    private static func admissionFromGroundControl(_ agent: Agent, directory: DataDirectory) throws -> ServingTLS? {
        guard case .groundControl(let options) = agent.source, options.admissionNames != nil else { return nil }
        let serving = ServingTLS(asksClientCertificates: false)
        if let held = try IdentityFiles(dataDirectory: directory).admission() { try serving.serve(held) }
        return serving
    }

    /// Runs every service until SIGTERM or SIGINT.
    public func run() async throws {
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
