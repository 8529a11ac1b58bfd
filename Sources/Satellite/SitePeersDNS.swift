import BackgroundWork
import Logging
import NetworkAddresses
import ServiceLifecycle

/// The site's other satellites found by DNS (`--site-peers-dns NAME:PORT`): every address a
/// name has, as a Kubernetes headless Service gives each ready pod of a DaemonSet, is a peer at
/// that port. Looked up again every 15 s; the peers are those and the state's `peers:` together,
/// this satellite (its `--advertise`) left out. The site's name and credential still come from
/// the state: an address found here is asked with the credential and admitted only with it.
public struct SitePeersDNS: Sendable, Equatable {
    public var name: String
    public var port: Int
    /// `http` or `https`, as the satellites serve (the first `--advertise`'s).
    public var scheme: String
    public var interval: Duration = .seconds(15)

    public init(name: String, port: Int, scheme: String) {
        self.name = name
        self.port = port
        self.scheme = scheme
    }

    /// The peers' URLs for the addresses `name` has now.
    func lookUp() async -> [String] {
        await NetworkAddress.resolve(name).map { address in
            "\(scheme)://\(address.contains(":") ? "[\(address)]" : address):\(port)"
        }
    }
}

/// Keeps the site's peering told of the addresses `SitePeersDNS` finds.
struct SitePeersDiscovery: Service {
    let dns: SitePeersDNS
    let peering: SitePeering
    let logger: Logger

    func run() async throws {
        var last: [String]?
        await PeriodicWork(every: dns.interval).run {
            let found = await dns.lookUp()
            guard found != last else { return }
            if found.isEmpty {
                // A name with no ready pods yet, or DNS away: the peers found before are kept.
                logger.warning("the site's peers' name has no addresses", metadata: ["name": "\(dns.name)"])
                return
            }
            last = found
            logger.info("the site's peers by DNS", metadata: ["name": "\(dns.name)", "peers": "\(found)"])
            peering.discovered(found)
        }
    }
}
