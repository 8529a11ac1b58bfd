import ArgumentParser
import FleetAPI
import SatelliteProtocol

/// `satctl sites`: each site's satellites and where their bytes came from.
struct SitesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sites", abstract: "List sites (the satellites' `site` label) with their peers and traffic.")
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let sites = try await APIClient.with(connection) { try await $0.get("/api/v1/sites", as: [SiteView].self) }
        try emit(sites, connection.output) { sites in
            [["SITE", "SATELLITES", "PEERS", "FROM PEERS", "FROM UPSTREAMS", "SHARED"]]
                + sites.map { site in
                    let total = site.fromPeersBytes + site.fromUpstreamBytes
                    let shared = total == 0 ? "-" : "\(site.fromPeersBytes * 100 / total) %"
                    return [
                        site.name, site.satellites.joined(separator: ","), String(site.peers),
                        ByteSize.show(site.fromPeersBytes),
                        ByteSize.show(site.fromUpstreamBytes), shared,
                    ]
                }
        }
    }
}
