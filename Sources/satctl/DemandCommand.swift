import ArgumentParser
import FleetAPI
import Foundation

/// `satctl demand …`: what devices asked for that their satellites did not hold, and adding it
/// to a group.
struct DemandCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demand",
        abstract: "What devices asked for that their satellites did not hold: list, add to a group.",
        discussion: """
            Each satellite reports, per repository and tag, the pull-through misses, the requests its \
            rules denied and the plain misses; the list sums them over the fleet. By default it shows \
            only what no group names.
            """,
        subcommands: [List.self, Add.self], defaultSubcommand: List.self)

    static func table(_ list: DemandList) -> [[String]] {
        var rows = [
            ["REGISTRY", "ARTIFACT", "REQUESTS", "MISSES", "DENIED", "NOT FOUND", "SATELLITES", "LAST", "GROUPS"]
        ]
        for entry in list.entries {
            rows.append([
                entry.registry ?? entry.host.map { "(\($0))" } ?? "-", entry.artifact, String(entry.requests),
                String(entry.misses), String(entry.denied), String(entry.notFound),
                String(entry.satelliteCount), show(entry.lastAskedAt),
                entry.groups.isEmpty ? "-" : entry.groups.joined(separator: ","),
            ])
        }
        if let omitted = list.omitted { rows.append(["…", "\(omitted) more (--limit)"]) }
        return rows
    }

    /// `3 misses, 1 denied, 0 not found`.
    static func counts(_ misses: Int64, _ denied: Int64, _ notFound: Int64) -> String {
        "\(misses) pull-through misses, \(denied) denied, \(notFound) not found"
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List what was asked for and is in no group (most asked first).")
        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "Also what some group names already.") var all = false
        @Option(help: "At most this many entries (1 to 5000).") var limit = 500

        func run() async throws {
            guard (1...5000).contains(limit) else { throw SatctlError("--limit: must be 1 to 5000, not \(limit)") }
            let list = try await APIClient.with(connection) {
                try await $0.get("/api/v1/demand?limit=\(limit)\(all ? "&all=true" : "")", as: DemandList.self)
            }
            try emit(list, connection.output, table: DemandCommand.table)
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an artifact that was asked for to a group (its members then hold it ahead of time).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The group.") var group: String
        @Argument(help: "repository:tag or repository@digest, as the list shows it.") var artifact: String
        @Option(help: "The registry it was asked for from; refused unless it is the group's.") var registry: String?

        func run() async throws {
            let addition = GroupArtifactAddition(
                registry: registry, artifact: try GroupsCommand.artifact(artifact, platforms: []))
            let (status, view) = try await APIClient.with(connection) { client in
                let (status, _, data) = try await client.exchange(
                    "POST", "/api/v1/groups/\(segment(group))/artifacts", body: addition)
                return (status, try client.decode(GroupView.self, data))
            }
            if connection.output == .json {
                try emit(view, connection.output, table: GroupsCommand.artifactTable)
            } else {
                print(
                    status == 201 ? "added \(artifact) to group \(group)" : "group \(group) names \(artifact) already")
            }
        }
    }
}
