import FleetIdentity
import Foundation
import HTTPServerSupport
import Logging
import NIOCore
import RegistryServer
import RegistryStore
import ServiceLifecycle

/// The HTTPS proxy devices reach the satellite through (`--http-proxy-listen`, a device's
/// `HTTPS_PROXY`): for the registries the state names it answers `/v2/…` from the store and
/// pull-through, as the registry does, under certificates from the site CA; other hosts are
/// tunnelled when `--proxy-pass` names them, else refused.
public struct SiteProxy: Sendable {
    public var host: String
    public var port: Int
    public var pass: ProxyPass
    /// The operator's site CA (`--proxy-ca-cert`, `--proxy-ca-key`); else the data directory's.
    public var certificatePath: String?
    public var keyPath: String?
    /// Connections (tunnels hold two descriptors each), head and idle timeouts.
    public var limits = ServerLimits(descriptorsPerConnection: 2)

    public init(host: String, port: Int, pass: ProxyPass, certificatePath: String? = nil, keyPath: String? = nil) {
        self.host = host
        self.port = port
        self.pass = pass
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }

    /// The listener; `onServing` hears the port it took.
    func service(
        dataDirectory: DataDirectory, store: RegistryStore, metrics: RegistryMetrics, namespaces: UpstreamNamespaces,
        onDemand: any ContentOnDemand, demand: any DemandLog, logger: Logger,
        onServing: @escaping @Sendable (Int) -> Void
    ) throws -> any Service {
        let authority = try ProxyAuthorityFile.load(
            dataDirectory: dataDirectory, certificatePath: certificatePath, keyPath: keyPath)
        let policy = SiteProxyPolicy(
            namespaces: namespaces, certificates: ProxyCertificates(authority: authority), pass: pass, logger: logger,
            metrics: ProxyMetrics(prometheus: metrics.prometheus))
        return RegistryServer.makeForwardProxy(
            store: store, metrics: metrics, host: host, port: port, limits: limits, policy: policy, logger: logger,
            namespaces: namespaces, onDemand: onDemand, demand: demand,
            onServerRunning: { [port] channel in onServing(channel.localAddress?.port ?? port) })
    }
}
