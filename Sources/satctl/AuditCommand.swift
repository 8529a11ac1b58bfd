import ArgumentParser
import FleetAPI
import SatelliteProtocol

/// `satctl audit`: admin changes and registrations, newest first.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Show the audit log, newest first.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "How many entries (1 to 1000, default 50).")
    var limit = 50

    func run() async throws {
        let entries = try await APIClient.with(connection) {
            try await $0.get("/api/v1/audit?limit=\(limit)", as: [AuditEntry].self)
        }
        try emit(entries, connection.output) { entries in
            [["ID", "AT", "ACTOR", "ACTION", "TARGET", "DETAIL"]]
                + entries.map { [String($0.id), show($0.at), $0.actor, $0.action, $0.target, $0.detail ?? ""] }
        }
    }
}
