import ArgumentParser
import Satellite

/// `satellite serve`: a plain read-write OCI registry on local disk, with no agent.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a read-write OCI registry from a data directory.")

    @OptionGroup var registry: RegistryOptions

    func run() async throws {
        try await RegistrySettings(registry, readOnly: false).runtime().run()
    }
}
