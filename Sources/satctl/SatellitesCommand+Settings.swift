import ArgumentParser
import FleetAPI
import Foundation
import SatelliteProtocol

/// The per-satellite settings Ground Control hands out with the state.
struct SettingOptions: ParsableArguments {
    @Option(name: .customLong("sync-interval"), help: "Seconds between its syncs when nothing changes (default 60).")
    var syncInterval: Int?
    @Option(name: .customLong("heartbeat-interval"), help: "Seconds between its reports (default 30).")
    var heartbeatInterval: Int?
    @Option(name: .customLong("log-level"), help: "Its log level (default info).")
    var logLevel: String?
    @Option(
        help:
            """
            Runtimes it points at itself, comma-separated (containerd, crio, podman, docker, k3s, rke2); replaces \
            its --configure-runtime. An empty string restores them all.
            """
    )
    var runtimes: String?
    @Flag(name: .customLong("local-runtimes"), help: "Let the satellite's own --configure-runtime decide again.")
    var localRuntimes = false
    @Option(
        name: .customLong("cache-max-bytes"),
        help:
            """
            Disk budget for pulled-through content (500M, 20G…); replaces its --cache-max-bytes. An empty string \
            lets its own flag decide again.
            """
    )
    var cacheMaxBytes: String?
    @OptionGroup var windowOptions: SyncWindowOptions
    @Option(
        name: .customLong("upstream-budget"),
        help:
            """
            Bytes it may fetch from upstreams per day or month (UTC): '5GiB/month', '200MiB/day'; one of each at \
            most. An empty string removes them.
            """
    )
    var upstreamBudgets: [String] = []

    var isEmpty: Bool {
        syncInterval == nil && heartbeatInterval == nil && logLevel == nil && runtimes == nil && !localRuntimes
            && cacheMaxBytes == nil && windowOptions.isEmpty && upstreamBudgets.isEmpty
    }

    func applied(to base: SatelliteSettings) throws -> SatelliteSettings {
        var settings = base
        if let syncInterval { settings.syncIntervalSeconds = syncInterval }
        if let heartbeatInterval { settings.heartbeatIntervalSeconds = heartbeatInterval }
        if let logLevel { settings.logLevel = logLevel }
        if let runtimes {
            settings.runtimes = runtimes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
        }
        if localRuntimes { settings.runtimes = nil }
        if let windows = try windowOptions.windows() { settings.syncWindows = windows.isEmpty ? nil : windows }
        if let outside = try windowOptions.outsideWindowChecked() { settings.outsideWindow = outside }
        if !upstreamBudgets.isEmpty {
            if upstreamBudgets.contains("") {
                settings.upstreamBudgets = nil
            } else {
                for budget in upstreamBudgets {
                    do { _ = try UpstreamBudget(parsing: budget) } catch {
                        throw SatctlError("--upstream-budget: \(error)")
                    }
                }
                settings.upstreamBudgets = upstreamBudgets
            }
        }
        if let cacheMaxBytes {
            if cacheMaxBytes.isEmpty {
                settings.cacheMaxBytes = nil
            } else {
                guard let bytes = ByteSize.parse(cacheMaxBytes) else {
                    throw SatctlError(
                        """
                        --cache-max-bytes must be a positive number of bytes (K, M, G, T allowed), not \
                        '\(cacheMaxBytes)'
                        """
                    )
                }
                settings.cacheMaxBytes = bytes
            }
        }
        return settings
    }
}

extension SatellitesCommand {
    struct Settings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a satellite's settings; what is not given stays.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String
        @OptionGroup var settingOptions: SettingOptions

        func run() async throws {
            guard !settingOptions.isEmpty else { throw SatctlError("give at least one setting to change") }
            let view = try await APIClient.with(connection) { client in
                let current = try client.decode(
                    SatelliteView.self, try await client.send("GET", "/api/v1/satellites/\(segment(name))"))
                return try client.decode(
                    SatelliteView.self,
                    try await client.send(
                        "PUT", "/api/v1/satellites/\(segment(name))/settings",
                        body: try settingOptions.applied(to: current.settings)))
            }
            try emit(view, connection.output, table: { SatellitesCommand.table([$0]) })
        }
    }
}

extension SatellitesCommand {
    struct SyncNow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sync-now",
            abstract: "Open a one-off sync window: the satellite's next sync may use its upstreams now.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String

        func run() async throws {
            _ = try await APIClient.with(connection) {
                try await $0.send("POST", "/api/v1/satellites/\(segment(name))/sync-now")
            }
            print("satellite \(name) syncs with its upstreams as soon as it takes its next state")
        }
    }
}
