import Foundation
import HTTPServerSupport
import Hummingbird
import Logging
import NIOCore
import NIOPosix

/// Where the satellite's HTTPS proxy sends each target: the registries the state names are
/// answered here under the site CA's certificate; a target in `--proxy-pass` is tunnelled unless
/// it is this machine or a link-local address; anything else is refused. It is never an open
/// proxy: no target outside the state's hosts and the pass list, nothing on this machine.
package struct SiteProxyPolicy: ForwardProxyPolicy {
    let namespaces: UpstreamNamespaces
    let certificates: ProxyCertificates
    let pass: ProxyPass
    let logger: Logger

    package init(namespaces: UpstreamNamespaces, certificates: ProxyCertificates, pass: ProxyPass, logger: Logger) {
        self.namespaces = namespaces
        self.certificates = certificates
        self.pass = pass
        self.logger = logger
    }

    package func route(_ target: ProxyTarget) async -> ProxyRoute {
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
        let address: SocketAddress
        do {
            address = try await NIOThreadPool.singleton.runIfActive {
                try SocketAddress.makeAddressResolvingHost(target.host, port: target.port)
            }
        } catch {
            return .refuse(.badGateway, "cannot resolve \(target.host)")
        }
        guard let ip = address.ipAddress, !Self.isThisMachineOrLinkLocal(ip) else {
            return .refuse(.forbidden, "\(target) is this machine or link-local: the proxy never tunnels there")
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

    /// Loopback, unspecified, link-local (cloud metadata lives there) or an address of this
    /// machine's interfaces.
    package static func isThisMachineOrLinkLocal(_ ip: String) -> Bool {
        if let bytes = IPBytes(ip) {
            switch bytes {
            case .v4(let b):
                if b[0] == 127 || b[0] == 0 || (b[0] == 169 && b[1] == 254) { return true }
            case .v6(let b):
                if b.allSatisfy({ $0 == 0 }) || b == [UInt8](repeating: 0, count: 15) + [1] { return true }
                if b[0] == 0xfe && (b[1] & 0xc0) == 0x80 { return true }
                // IPv4-mapped: judged as the IPv4 address.
                if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xff && b[11] == 0xff {
                    return isThisMachineOrLinkLocal("\(b[12]).\(b[13]).\(b[14]).\(b[15])")
                }
            }
        }
        let local = (try? System.enumerateDevices()) ?? []
        return local.contains { $0.address?.ipAddress == ip }
    }
}

/// An IP literal's bytes.
enum IPBytes {
    case v4([UInt8])
    case v6([UInt8])

    init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self = .v4(withUnsafeBytes(of: &v4) { Array($0) })
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self = .v6(withUnsafeBytes(of: &v6) { Array($0) })
            return
        }
        return nil
    }
}
