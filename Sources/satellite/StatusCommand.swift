import ArgumentParser
import Foundation
import ProgramSupport
import Satellite

/// `satellite status`: what the agent holds, how its last sync went, and what is missing.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print the inventory, the last sync's result and what is missing.")

    @Option(name: .customLong("data-dir"), help: "The agent's data directory (default ./satellite-data).")
    var dataDirectory: String = "satellite-data"

    @Option(help: "text or json.")
    var output: String = "text"

    func run() async throws {
        let status: SatelliteStatus
        do {
            status = try SatelliteStatus.read(from: DataDirectory(dataDirectory))
        } catch {
            throw SettingsError(
                """
                no status in \(dataDirectory): has `satellite run` used this data directory? \
                (\(error.localizedDescription))
                """
            )
        }
        switch output {
        case "json":
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
        case "text":
            print(status.text)
        default:
            throw SettingsError("output must be text or json, not '\(output)'")
        }
    }
}
