import ArgumentParser
import FleetAPI
import SatelliteProtocol

/// `satctl sites`: each site's satellites and where their bytes came from; a site's windows.
struct SitesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sites", abstract: "Sites (the satellites' `site` label): list them, set their sync windows.",
        subcommands: [List.self, Settings.self], defaultSubcommand: List.self)
}

extension SitesCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List sites with their peers, traffic and sync windows.")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let sites = try await APIClient.with(connection) { try await $0.get("/api/v1/sites", as: [SiteView].self) }
            try emit(sites, connection.output) { sites in
                [["SITE", "SATELLITES", "PEERS", "FROM PEERS", "FROM UPSTREAMS", "SHARED", "SYNC WINDOWS"]]
                    + sites.map { site in
                        let total = site.fromPeersBytes + site.fromUpstreamBytes
                        let shared = total == 0 ? "-" : "\(site.fromPeersBytes * 100 / total) %"
                        return [
                            site.name, site.satellites.joined(separator: ","), String(site.peers),
                            ByteSize.show(site.fromPeersBytes),
                            ByteSize.show(site.fromUpstreamBytes), shared,
                            (site.settings?.syncWindows ?? []).joined(separator: "; "),
                        ]
                    }
            }
        }
    }
}

extension SitesCommand {
    struct Settings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the sync windows a site's satellites follow unless they have their own.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String
        @OptionGroup var windowOptions: SyncWindowOptions

        func run() async throws {
            guard !windowOptions.isEmpty else { throw SatctlError("give --sync-window or --outside-window") }
            let current =
                try await APIClient.with(connection) {
                    try await $0.get("/api/v1/sites", as: [SiteView].self)
                }.first { $0.name == name }?.settings ?? SiteSettings()
            var settings = current
            if let windows = try windowOptions.windows() { settings.syncWindows = windows.isEmpty ? nil : windows }
            if let outside = try windowOptions.outsideWindowChecked() { settings.outsideWindow = outside }
            let saved = try await APIClient.with(connection) { client in
                try client.decode(
                    SiteSettings.self,
                    try await client.send("PUT", "/api/v1/sites/\(segment(name))/settings", body: settings))
            }
            try emit(saved, connection.output) { saved in
                [["SITE", "SYNC WINDOWS", "OUTSIDE THEM"]]
                    + [
                        [
                            name, (saved.syncWindows ?? []).joined(separator: "; "), saved.outsideWindow ?? "defer",
                        ]
                    ]
            }
        }
    }
}
