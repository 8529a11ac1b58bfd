import ArgumentParser
import FleetAPI
import Foundation

/// `satctl rollouts …`: groups' changes reaching their members wave by wave.
struct RolloutsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollouts",
        abstract: "Rollouts of groups' changes: list, show, pause, resume, abort, promote.",
        discussion: "A rollout is named by its id, or by its group for the group's latest.",
        subcommands: [List.self, Show.self, Pause.self, Resume.self, Abort.self, Promote.self])

    static func table(_ rollouts: [RolloutView]) -> [[String]] {
        [["ID", "GROUP", "STATE", "WAVE", "APPLIED", "FAILED", "STARTED", "REASON"]]
            + rollouts.map { rollout in
                let reached = rollout.progress.filter(\.reached)
                return [
                    String(rollout.id), rollout.group, rollout.state, "\(rollout.wave)/\(rollout.waves)",
                    "\(reached.map(\.applied).reduce(0, +))/\(reached.map(\.members.count).reduce(0, +))",
                    String(reached.map(\.failed).reduce(0, +)), show(rollout.createdAt), rollout.reason ?? "-",
                ]
            }
    }

    static func waveTable(_ rollout: RolloutView) -> [[String]] {
        var rows = table([rollout])
        rows += [[], ["WAVE", "MEMBERS", "REACHED", "APPLIED", "FAILED", "NAMES"]]
        for wave in rollout.progress {
            let names = wave.members.prefix(8).joined(separator: ",") + (wave.members.count > 8 ? ",…" : "")
            rows.append([
                String(wave.wave), String(wave.members.count), wave.reached ? show(wave.reachedAt) : "-",
                String(wave.applied), String(wave.failed), names.isEmpty ? "-" : names,
            ])
        }
        rows += [[], ["policy", rollout.policy]]
        if let soakEndsAt = rollout.soakEndsAt { rows.append(["soak ends", show(soakEndsAt)]) }
        return rows
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List rollouts, newest first.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Only this group's.") var group: String?

        func run() async throws {
            let query = group.map { "?group=\(segment($0))" } ?? ""
            let rollouts = try await APIClient.with(connection) {
                try await $0.get("/api/v1/rollouts\(query)", as: [RolloutView].self)
            }
            try emit(rollouts, connection.output, table: RolloutsCommand.table)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a rollout wave by wave.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The rollout's id, or its group's name for the latest.") var name: String

        func run() async throws {
            let rollout = try await APIClient.with(connection) {
                try await $0.get("/api/v1/rollouts/\(segment(name))", as: RolloutView.self)
            }
            try emit(rollout, connection.output, table: RolloutsCommand.waveTable)
        }
    }

    /// The rollout an action is for, and where Ground Control is.
    struct Target: ParsableArguments {
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The rollout's id, or its group's name for the latest.") var name: String

        /// POSTs the action and shows the rollout after it.
        func act(_ verb: String) async throws {
            let rollout = try await APIClient.with(connection) { client in
                try client.decode(
                    RolloutView.self, try await client.send("POST", "/api/v1/rollouts/\(segment(name))/\(verb)"))
            }
            try emit(rollout, connection.output, table: RolloutsCommand.waveTable)
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Hold a rollout at its wave.")
        @OptionGroup var target: Target
        func run() async throws { try await target.act("pause") }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Judge a paused or failed rollout's wave again, soak and all.")
        @OptionGroup var target: Target
        func run() async throws { try await target.act("resume") }
    }

    struct Abort: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Return every member reached to what it held before the rollout.")
        @OptionGroup var target: Target
        func run() async throws { try await target.act("abort") }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reach the next wave now, whatever its gate says.")
        @OptionGroup var target: Target
        func run() async throws { try await target.act("promote") }
    }
}
