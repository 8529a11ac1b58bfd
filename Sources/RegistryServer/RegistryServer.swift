import HTTPServerSupport
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import RegistryStore

/// Builds the HTTP application that serves a store.
public enum RegistryServer {
    /// Where and how to listen.
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// PEM certificate chain and key; both or neither.
        public var tlsCertificatePath: String?
        public var tlsKeyPath: String?
        /// Refuse pushes and deletes: the content comes from the desired state, not from clients.
        public var readOnly: Bool
        /// Header and idle timeouts and the connection ceiling.
        public var limits = ServerLimits(descriptorsPerConnection: 2)
        /// The serving certificate when it comes from Ground Control rather than files.
        public var serving: ServingTLS?

        public init(
            host: String, port: Int, tlsCertificatePath: String? = nil, tlsKeyPath: String? = nil,
            readOnly: Bool = false
        ) {
            self.host = host
            self.port = port
            self.tlsCertificatePath = tlsCertificatePath
            self.tlsKeyPath = tlsKeyPath
            self.readOnly = readOnly
        }
    }

    /// Makes the application (a `Service`) serving `store`, on NIO's shared event loops unless
    /// `eventLoopGroup` names others.
    public static func makeApplication(
        store: RegistryStore, metrics: RegistryMetrics, configuration: Configuration, logger: Logger,
        namespaces: any RepositoryNamespaces = FlatNamespaces(), onDemand: any ContentOnDemand = NoContentOnDemand(),
        sitePeers: any SitePeers = NoSitePeers(), demand: any DemandLog = NoDemandLog(),
        eventLoopGroup: EventLoopGroupProvider = .singleton,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let responder = RegistryResponder(
            store: store, metrics: metrics, logger: logger, readOnly: configuration.readOnly, namespaces: namespaces,
            onDemand: onDemand, sitePeers: sitePeers, demand: demand)
        let server = try HTTPServerBuilder.http1(
            tlsCertificatePath: configuration.tlsCertificatePath, tlsKeyPath: configuration.tlsKeyPath,
            limits: configuration.limits,
            clientCertificates: configuration.tlsCertificatePath == nil && configuration.serving == nil
                ? nil : sitePeers.clientCertificates,
            serving: configuration.serving)
        return Application(
            responder: responder,
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: onServerRunning,
            eventLoopGroupProvider: eventLoopGroup,
            logger: logger)
    }
}

extension RegistryServer {
    /// Makes the application (a `Service`) serving `store` read-only through an HTTP forward proxy
    /// listener (`HTTPS_PROXY`): `policy` says which targets are served here, which are
    /// tunnelled, and how a served request names its registry (`?ns=`).
    public static func makeForwardProxy(
        store: RegistryStore, metrics: RegistryMetrics, host: String, port: Int, limits: ServerLimits,
        policy: any ForwardProxyPolicy, logger: Logger, namespaces: any RepositoryNamespaces,
        onDemand: any ContentOnDemand, demand: any DemandLog,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let responder = RegistryResponder(
            store: store, metrics: metrics, logger: logger, readOnly: true, namespaces: namespaces,
            onDemand: onDemand, demand: demand)
        return Application(
            responder: responder,
            server: .forwardProxy(policy: policy, limits: limits),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: onServerRunning,
            logger: logger)
    }
}
