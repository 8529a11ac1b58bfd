import ArgumentParser
import Foundation
import SatelliteProtocol

/// satctl: the command line for Ground Control's API.
@main
struct SatctlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "satctl",
        abstract: "Manage registries, groups and satellites through Ground Control.",
        discussion:
            """
            --url and --token may also come from SATCTL_URL and SATCTL_TOKEN, or from the credentials `satctl \
            login` saved.
            """,
        version: ReleaseVersion.current,
        subcommands: [
            RegistriesCommand.self, GroupsCommand.self, SatellitesCommand.self, SitesCommand.self, AuditCommand.self,
            StateCommand.self,
            UsersCommand.self, LoginCommand.self, WhoamiCommand.self, SubscriptionsCommand.self, RolloutsCommand.self,
            DemandCommand.self,
        ])
}

/// Where Ground Control is, how to prove we are admin, and how to print.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Ground Control's base URL (or SATCTL_URL), such as http://127.0.0.1:8080.")
    var url: String?

    @Option(help: "The admin token or a personal token (or SATCTL_TOKEN, or what `satctl login` saved).")
    var token: String?

    @Option(help: "table or json (default table).")
    var output: OutputFormat = .table

    @Option(help: "PEM certificates to trust for Ground Control's HTTPS instead of the system's (or SATCTL_CA).")
    var ca: String?

    func client() throws -> APIClient {
        let environment = ProcessInfo.processInfo.environment
        let saved = try SavedLogin.load()
        guard let url = url ?? environment["SATCTL_URL"] ?? saved?.url, !url.isEmpty else {
            throw ValidationError("--url (or SATCTL_URL) is required, such as --url http://127.0.0.1:8080")
        }
        // A saved login counts only for the Ground Control it was made with.
        guard let token = token ?? environment["SATCTL_TOKEN"] ?? saved.flatMap({ $0.url == url ? $0.token : nil }),
            !token.isEmpty
        else {
            throw ValidationError(
                "--token (or SATCTL_TOKEN) is required, or `satctl login` first: the admin token or a personal token")
        }
        return try APIClient(baseURL: url, token: token, caFile: ca ?? environment["SATCTL_CA"])
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
}
