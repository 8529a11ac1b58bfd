import ArgumentParser
import FleetAPI
import Foundation
import NIOHTTP1
import SatelliteProtocol

/// `satctl satellites …`
struct SatellitesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "satellites", abstract: "Edge sites: create, list, show, approve, revoke.",
        subcommands: [
            Create.self, CreateBatch.self, List.self, Count.self, Show.self, Settings.self, SyncNow.self, Token.self,
            Approve.self,
            Rotate.self,
            Revoke.self,
            Delete.self, AddGroup.self,
            RemoveGroup.self, Bundle.self,
        ])

    static func table(_ satellites: [SatelliteView]) -> [[String]] {
        [["NAME", "STATE", "GROUPS", "SITE", "LAST SEEN", "DESIRED", "APPLIED", "DRIFT"]]
            + satellites.map { satellite in
                let drift: String
                if satellite.drift.missing.isEmpty && !satellite.drift.behind {
                    drift = "none"
                } else {
                    drift =
                        (satellite.drift.behind ? "behind" : "")
                        + (satellite.drift.missing.isEmpty
                            ? "" : (satellite.drift.behind ? ", " : "") + "\(satellite.drift.missing.count) missing")
                }
                let state = satellite.state + (satellite.awaitingApproval == true ? " (awaits approval)" : "")
                return [
                    satellite.name, state, satellite.groups.joined(separator: ","), satellite.site ?? "-",
                    show(satellite.lastSeen),
                    String(satellite.desiredGeneration), satellite.appliedGeneration.map(String.init) ?? "-", drift,
                ]
            }
    }

    /// The sync window as the satellite last reported it.
    static func linkRow(_ link: LinkReport) -> [String] {
        let state =
            link.syncNowOpen == true
            ? "open (one-off, for its next sync)" : link.windowOpen ? "open" : "closed: upstreams not used"
        return ["sync window", state, link.windowChangesAt.map { "until \(show($0))" } ?? ""]
    }

    static func tokenTable(_ token: RegistrationToken) -> [[String]] {
        [["NAME", "TOKEN", "EXPIRES"], [token.name, token.token, show(token.expiresAt)]]
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a satellite and print its one-time registration token.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String
        @Option(name: .customLong("group"), help: "A group it must hold; repeat for several.")
        var groups: [String] = []
        @Option(name: .customLong("label"), help: "key=value; repeat for several.")
        var labels: [String] = []
        @OptionGroup var settingOptions: SettingOptions

        func run() async throws {
            var labelMap: [String: String] = [:]
            for label in labels {
                guard let equals = label.firstIndex(of: "=") else {
                    throw SatctlError("--label must be key=value, not '\(label)'")
                }
                labelMap[String(label[..<equals])] = String(label[label.index(after: equals)...])
            }
            let settings = settingOptions.isEmpty ? nil : try settingOptions.applied(to: .defaults)
            let definition = SatelliteDefinition(
                name: name, groups: groups, labels: labelMap.isEmpty ? nil : labelMap, settings: settings)
            let token = try await APIClient.with(connection) { client in
                try client.decode(
                    RegistrationToken.self, try await client.send("POST", "/api/v1/satellites", body: definition))
            }
            try emit(token, connection.output, table: SatellitesCommand.tokenTable)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List satellites with state and drift.",
            discussion: """
                With any of the options, one page of those that match, worked out by Ground Control \
                (the table says how many match in all); without, the whole fleet.
                """)
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Only these: online, stale, pending or revoked.") var state: String?
        @Option(help: "Only members of this group.") var group: String?
        @Option(help: "Only satellites at this site.") var site: String?
        @Option(help: "Only names holding this, any case.") var name: String?
        @Option(help: "name, state, site or seen (when last heard from); - first for the other way.")
        var sort: String?
        @Option(help: "The page, from 1.") var page: Int?
        @Option(name: .customLong("page-size"), help: "Satellites per page, up to 1000 (default 100).")
        var pageSize: Int?

        func run() async throws {
            let values: [(String, String?)] = [
                ("state", state), ("group", group), ("site", site), ("name", name), ("sort", sort),
                ("page", page.map(String.init)), ("page_size", pageSize.map(String.init)),
            ]
            var components = URLComponents()
            components.path = "/api/v1/satellites"
            let items = values.compactMap { key, value in value.map { URLQueryItem(name: key, value: $0) } }
            components.queryItems = items.isEmpty ? nil : items
            let (_, headers, body) = try await APIClient.with(connection) { client in
                try await client.exchange("GET", components.string ?? "/api/v1/satellites")
            }
            let satellites = try APIJSON.decoder().decode([SatelliteView].self, from: body)
            try emit(satellites, connection.output, table: SatellitesCommand.table)
            if let total = headers["x-total-count"], connection.output == .table {
                let first = ((page ?? 1) - 1) * (pageSize ?? 100)
                let shown = "\(first + 1)–\(first + satellites.count)"
                print(satellites.isEmpty ? "none of \(total)" : "\(shown) of \(total)")
            }
        }
    }

    struct Count: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "How many satellites, in each state.")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let summary = try await APIClient.with(connection) {
                try await $0.get("/api/v1/fleet", as: FleetSummary.self)
            }
            try emit(summary, connection.output) { summary in
                [["STATE", "SATELLITES"]]
                    + ["online", "stale", "pending", "revoked"].map { [$0, "\(summary.byState[$0] ?? 0)"] }
                    + [["all", "\(summary.satellites)"]]
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one satellite.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String

        func run() async throws {
            let satellite = try await APIClient.with(connection) {
                try await $0.get("/api/v1/satellites/\(segment(name))", as: SatelliteView.self)
            }
            try emit(satellite, connection.output) { satellite in
                var rows = SatellitesCommand.table([satellite])
                rows.append([])
                let settings = satellite.settings
                rows.append([
                    "settings",
                    """
                    sync every \(settings.syncIntervalSeconds) s, heartbeat every \
                    \(settings.heartbeatIntervalSeconds) s, log \(settings.logLevel)
                    """,
                    settings.runtimes.map { "runtimes: " + ($0.isEmpty ? "none" : $0.joined(separator: ",")) }
                        ?? "runtimes: the node's own",
                    settings.cacheMaxBytes.map { "cache budget: \($0) bytes" } ?? "cache budget: the node's own",
                ])
                if let windows = settings.syncWindows {
                    rows.append([
                        "sync windows", windows.joined(separator: "; "),
                        "outside them misses: \(settings.outsideWindow ?? "defer")",
                    ])
                }
                for use in satellite.meter?.budgets ?? [] {
                    rows.append([
                        "upstream budget", use.budget,
                        "\(ByteSize.show(use.usedBytes)) used in \(use.period)",
                        use.exhausted ? "budget exhausted: fetches past it wait for the next period" : "",
                    ])
                }
                if let over = satellite.meter?.overBudgetBytes {
                    rows.append([
                        "upstream budget", "critical artifacts took \(ByteSize.show(over)) past it this month",
                    ])
                }
                if let link = satellite.link {
                    rows.append(SatellitesCommand.linkRow(link))
                    for problem in link.problems ?? [] { rows.append(["window problem", problem]) }
                }
                if let site = satellite.site {
                    rows.append([
                        "site", site,
                        satellite.advertisedURL.map { "advertised at \($0)" } ?? "advertises no address (not a peer)",
                    ])
                }
                if let transfer = satellite.transfer {
                    rows.append([
                        "transfer", "\(ByteSize.show(transfer.fromPeersBytes)) from peers",
                        "\(ByteSize.show(transfer.fromUpstreamBytes)) from upstreams",
                        "\(ByteSize.show(transfer.toPeersBytes)) to peers (since its start)",
                    ])
                }
                for robot in satellite.robots ?? [] {
                    rows.append([
                        "robot", "\(robot.registry): \(robot.name)",
                        robot.expiresAt.map { "expires \(show($0))" } ?? "never expires",
                    ])
                }
                for held in satellite.heldBack ?? [] {
                    rows.append([
                        "held back", "\(held.repository)\(held.tag.map { ":\($0)" } ?? "")@\(held.digest)", held.reason,
                    ])
                }
                if let cached = satellite.cachedManifests {
                    rows.append(["pulled through", "\(cached) manifests held"])
                }
                if let sync = satellite.lastSync {
                    rows.append([
                        "last sync", sync.succeeded ? "ok" : "failed: \(sync.error ?? "")", show(sync.finishedAt),
                    ])
                    for failure in sync.failures ?? [] {
                        rows.append([
                            "failed", (failure.upstream.map { "\($0): " } ?? "") + failure.reference,
                            failure.reason.rawValue, failure.serving.map { "serving \($0)" } ?? "not held",
                            failure.message,
                        ])
                    }
                }
                for digest in satellite.drift.missing { rows.append(["missing", digest]) }
                for entry in satellite.demand?.entries ?? [] {
                    rows.append([
                        "asked for", entry.reference, DemandCommand.counts(entry.misses, entry.denied, entry.notFound),
                        "last \(show(entry.lastAskedAt))",
                    ])
                }
                if let omitted = satellite.demand?.omitted {
                    rows.append(["asked for", "and \(omitted) more, asked for less often"])
                }
                return rows.filter { !$0.isEmpty }
            }
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a new one-time registration token.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String

        func run() async throws {
            let token = try await APIClient.with(connection) { client in
                try client.decode(
                    RegistrationToken.self, try await client.send("POST", "/api/v1/satellites/\(segment(name))/token"))
            }
            try emit(token, connection.output, table: SatellitesCommand.tokenTable)
        }
    }

    struct Bundle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                """
                Write the satellite's signed state and all its images to a file, for `satellite import` where \
                there is no link.
                """
        )
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String
        // `-o` as the issue and `satellite export` have it; `--output` is the table/JSON choice.
        @Option(
            name: [.customShort("o"), .customLong("file")],
            help: "The bundle file (created 0600; it appears only when complete).")
        var file: String
        @Option(
            help:
                """
                Leave out what the bundle of this generation carried (a delta; the satellite must have applied \
                that one).
                """
        )
        var since: Int64?

        func run() async throws {
            let query = since.map { "?since=\($0)" } ?? ""
            let (headers, bytes) = try await APIClient.with(connection) { client in
                try await client.download("/api/v1/satellites/\(segment(name))/bundle\(query)", to: file)
            }
            let generation = headers.first(name: "Satellite-Bundle-Generation") ?? "?"
            print(
                """
                wrote \(file): generation \(generation)\(since.map { " (a delta on generation \($0))" } ?? ""), \
                \(bytes) bytes
                """
            )
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                """
                Give the satellite a new credential at its next heartbeat, and a new key with a certificate for it \
                (its site credential and Harbor robots are renewed too).
                """
        )
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String

        func run() async throws {
            _ = try await APIClient.with(connection) {
                try await $0.send("POST", "/api/v1/satellites/\(segment(name))/rotate")
            }
            print("satellite \(name) gets a new credential and a new key at its next heartbeat")
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                """
                Let a satellite enrolled with an operator's token have its registries' passwords and its site's \
                credential (admin).
                """
        )
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String

        func run() async throws {
            let satellite = try await APIClient.with(connection) { client in
                try client.decode(
                    SatelliteView.self, try await client.send("POST", "/api/v1/satellites/\(segment(name))/approve"))
            }
            try emit(satellite, connection.output) { SatellitesCommand.table([$0]) }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke the satellite's credential and token.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String

        func run() async throws {
            _ = try await APIClient.with(connection) {
                try await $0.send("POST", "/api/v1/satellites/\(segment(name))/revoke")
            }
            print("revoked satellite \(name)")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a satellite and its record.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String

        func run() async throws {
            _ = try await APIClient.with(connection) {
                try await $0.send("DELETE", "/api/v1/satellites/\(segment(name))")
            }
            print("deleted satellite \(name)")
        }
    }

    struct AddGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-group", abstract: "Add a satellite to a group.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String
        @Argument var group: String

        func run() async throws {
            let satellite = try await APIClient.with(connection) { client in
                try client.decode(
                    SatelliteView.self,
                    try await client.send("PUT", "/api/v1/satellites/\(segment(name))/groups/\(segment(group))"))
            }
            try emit(satellite, connection.output) { SatellitesCommand.table([$0]) }
        }
    }

    struct RemoveGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove-group", abstract: "Remove a satellite from a group.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String
        @Argument var group: String

        func run() async throws {
            let satellite = try await APIClient.with(connection) { client in
                try client.decode(
                    SatelliteView.self,
                    try await client.send("DELETE", "/api/v1/satellites/\(segment(name))/groups/\(segment(group))"))
            }
            try emit(satellite, connection.output) { SatellitesCommand.table([$0]) }
        }
    }
}
