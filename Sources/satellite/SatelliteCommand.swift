import ArgumentParser
import SatelliteProtocol

/// The satellite: an edge OCI registry kept in line with a desired state.
@main
struct SatelliteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "satellite",
        abstract: "An edge OCI registry that keeps serving when the network is gone.",
        version: ReleaseVersion.current,
        subcommands: [
            ServeCommand.self, RunCommand.self, StatusCommand.self, RuntimeCommand.self, ImportCommand.self,
            ExportCommand.self, ProxyCACommand.self,
        ])
}
