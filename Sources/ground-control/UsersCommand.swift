import ArgumentParser
import FleetAPI
import FleetDomain
import Foundation
import GroundControl
import ProgramSupport
import SatelliteProtocol

/// `ground-control users add`: a person's account, written straight to the database — the first
/// admin of a fleet, before anyone can log in to make others (satctl users does the rest).
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Add or change a person's account in the fleet database.",
        subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a person, or change their role and password.")

        @Argument(help: "The name they log in with.")
        var name: String

        @Option(help: "admin, operator or viewer.")
        var role: String

        @Option(
            name: .customLong("password-file"),
            help:
                """
                A file holding the password (12 characters or more), or - for standard input; never on the command \
                line.
                """
        )
        var passwordFile: String

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            guard let role = Role(rawValue: role) else {
                throw SettingsError("role must be admin, operator or viewer, not '\(role)'")
            }
            let name = try ResourceName(name, kind: "user name")
            let password = try Self.readPassword(passwordFile)
            let view = try await database.withStore { store in
                try await Fleet(store: store).people.put(name, role: role, password: password, by: .admin)
            }
            print("ground-control: \(view.1 ? "added" : "changed") \(view.0.name) (\(view.0.role))")
        }

        static func readPassword(_ path: String) throws -> String {
            let data =
                path == "-"
                ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: path)
            guard let data else { throw SettingsError("password-file: cannot read \(path)") }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        }
    }
}
