import Foundation
import HTTPServerSupport
import Hummingbird
import Logging
import NIOCore
import NetworkAddresses

/// Where the satellite's HTTPS proxy sends each target: the registries the state names are
/// answered here under the site CA's certificate; a target in `--proxy-pass` is tunnelled unless
/// it is this machine or a link-local address; anything else is refused. It is never an open
/// proxy: no target outside the state's hosts and the pass list, nothing on this machine.
package struct SiteProxyPolicy: ForwardProxyPolicy {
    let namespaces: UpstreamNamespaces
    let certificates: ProxyCertificates
    let pass: ProxyPass
    let logger: Logger

    let metrics: ProxyMetrics?

    package init(
        namespaces: UpstreamNamespaces, certificates: ProxyCertificates, pass: ProxyPass, logger: Logger,
        metrics: ProxyMetrics? = nil
    ) {
        self.namespaces = namespaces
        self.certificates = certificates
        self.pass = pass
        self.logger = logger
        self.metrics = metrics
    }

    package func route(_ target: ProxyTarget) async -> ProxyRoute {
        let route = await decide(target)
        switch route {
        case .serve: metrics?.connect(.served)
        case .tunnel: metrics?.connect(.tunnelled)
        case .refuse(let status, let reason):
            metrics?.connect(.refused)
            logger.debug(
                "CONNECT refused", metadata: ["target": "\(target)", "status": "\(status.code)", "why": "\(reason)"])
        }
        return route
    }

    package func tunnel(opened: Bool) {
        metrics?.tunnel(opened: opened)
    }

    private func decide(_ target: ProxyTarget) async -> ProxyRoute {
        if namespaces.namespace(proxiedTo: target) != nil {
            do {
                return .serve(tls: try certificates.context(for: target.host))
            } catch {
                logger.warning(
                    "cannot issue the proxy's certificate", metadata: ["host": "\(target.host)", "error": "\(error)"])
                return .refuse(.badGateway, "cannot make a certificate for \(target.host)")
            }
        }
        guard pass.allows(target) else {
            return .refuse(
                .forbidden, "\(target) is neither a registry this satellite mirrors nor in its --proxy-pass list")
        }
        // Every address the name has must be allowed (the resolver may hand out any of them
        // later), and the one connected to is the one checked.
        let addresses = await NetworkAddress.resolve(target.host)
        guard let first = addresses.first else { return .refuse(.badGateway, "cannot resolve \(target.host)") }
        let own = NetworkAddress.ownAddresses()
        if let (address, reason) = addresses.lazy.compactMap({ a in
            NetworkAddress.forbidden(a, own: own).map { (a, $0) }
        })
        .first {
            return .refuse(.forbidden, "\(target) is at \(address), \(reason): the proxy never tunnels there")
        }
        let address: SocketAddress
        do {
            address = try SocketAddress(ipAddress: first, port: target.port)
        } catch {
            return .refuse(.badGateway, "cannot reach \(target.host)")
        }
        return .tunnel(address)
    }

    package func rewrite(_ request: Request, for target: ProxyTarget) -> Request? {
        guard let namespace = namespaces.namespace(proxiedTo: target) else { return nil }
        let path = request.head.path ?? "/"
        guard path == "/v2" || path.hasPrefix("/v2/") || path.hasPrefix("/v2?") else { return nil }
        var head = request.head
        head.path = Self.path(path, namespace: namespace)
        return Request(head: head, body: request.body)
    }

    /// `path` with `ns=<namespace>` in place of any the client sent.
    package static func path(_ path: String, namespace: String) -> String {
        let parts = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query =
            parts.count == 2 ? parts[1].split(separator: "&").filter { !$0.hasPrefix("ns=") }.map(String.init) : []
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~:"))
        query.append("ns=" + (namespace.addingPercentEncoding(withAllowedCharacters: allowed) ?? namespace))
        return parts[0] + "?" + query.joined(separator: "&")
    }
}
