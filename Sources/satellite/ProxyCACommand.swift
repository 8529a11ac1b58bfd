import ArgumentParser
import Foundation
import ProgramSupport
import Satellite

/// `satellite proxy-ca`: the site CA of the HTTPS proxy, which devices must trust.
struct ProxyCACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy-ca",
        abstract: "The site CA the HTTPS proxy (--http-proxy-listen) issues registry certificates with.",
        subcommands: [Export.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: """
                Print the site CA's certificate (PEM) for devices and runtimes to trust; made now in the data \
                directory when there is none yet, as `satellite run --http-proxy-listen` would.
                """)

        @Option(name: .customLong("data-dir"), help: "The agent's data directory (default ./satellite-data).")
        var dataDirectory: String = "satellite-data"

        func run() async throws {
            guard FileManager.default.fileExists(atPath: dataDirectory) else {
                throw SettingsError("data-dir: \(dataDirectory) does not exist")
            }
            do {
                let authority = try ProxyAuthorityFile.load(dataDirectory: DataDirectory(dataDirectory))
                print(try ProxyAuthorityFile.certificatePEM(authority), terminator: "")
            } catch let error as ProxyAuthorityError {
                throw SettingsError(error.description)
            }
        }
    }
}
