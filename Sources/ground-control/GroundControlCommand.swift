import ArgumentParser
import FleetDomain
import GroundControl
import SatelliteProtocol

/// Ground Control: the control plane that tells a fleet of satellites what to hold.
@main
struct GroundControlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ground-control",
        abstract: "The control plane for a fleet of satellites.",
        version: ReleaseVersion.current,
        subcommands: [
            ServeCommand.self, BackupCommand.self, RestoreCommand.self, UsersCommand.self, SecretsCommand.self,
            AuthorityCommand.self,
            OpenAPICommand.self,
        ])
}

/// `ground-control openapi`: prints the API's OpenAPI document.
struct OpenAPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openapi", abstract: "Print the OpenAPI document of the API.")

    func run() {
        print(GroundControlDocument.openAPI, terminator: "")
    }
}
