import ArgumentParser
import FleetAPI
import Foundation
import SatelliteProtocol

/// `satctl registries …`
struct RegistriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registries", abstract: "Central registries groups pull from.",
        subcommands: [List.self, Show.self, Put.self, Delete.self])

    static func table(_ registries: [RegistryView]) -> [[String]] {
        [["NAME", "KIND", "URL", "USERNAME", "INSECURE", "EVENTS"]]
            + registries.map {
                [
                    $0.name, $0.kind, $0.url, $0.username ?? "-", $0.insecure ? "yes" : "no",
                    $0.webhookSet == true ? "webhook" : "-",
                ]
            }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registries.")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let registries = try await APIClient.with(connection) {
                try await $0.get("/api/v1/registries", as: [RegistryView].self)
            }
            try emit(registries, connection.output, table: RegistriesCommand.table)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a registry.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String

        func run() async throws {
            let registry = try await APIClient.with(connection) {
                try await $0.get("/api/v1/registries/\(segment(name))", as: RegistryView.self)
            }
            try emit(registry, connection.output) { RegistriesCommand.table([$0]) }
        }
    }

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or replace a registry.",
            discussion:
                """
                The password is read from --password-file (or stdin with --password-stdin), never from the command \
                line.
                """
        )
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String
        @Option(name: .customLong("registry-url"), help: "The registry's base URL, such as https://harbor.example.com.")
        var registryURL: String
        @Option var username: String?
        @Option(name: .customLong("password-file"), help: "A file holding the pull password.")
        var passwordFile: String?
        @Flag(name: .customLong("password-stdin"), help: "Read the pull password from standard input.")
        var passwordStdin = false
        @Flag(help: "Skip TLS certificate verification.")
        var insecure = false
        @Option(
            name: .customLong("webhook-secret-file"),
            help:
                """
                A file holding the secret the registry's webhook sends as its Authorization header (push events, \
                docs/harbor.md).
                """
        )
        var webhookSecretFile: String?
        @Option(
            help:
                """
                oci (any Distribution API registry; satellites pull with the username and password) or harbor (the \
                username and password are an admin's, for Ground Control alone; each satellite gets a robot of its \
                own).
                """
        )
        var kind = "oci"
        @Option(
            name: .customLong("robot-duration-days"),
            help: "harbor: days each satellite's robot lives; it is refreshed when a third is left (default 30).")
        var robotDurationDays: Int?

        func run() async throws {
            var password: String?
            if let passwordFile {
                password = try String(contentsOfFile: passwordFile, encoding: .utf8).trimmingCharacters(in: .newlines)
            } else if passwordStdin {
                password = readLine(strippingNewline: true)
            }
            let webhookSecret = try webhookSecretFile.map {
                try String(contentsOfFile: $0, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            var definition = RegistryDefinition(
                url: registryURL, kind: kind, username: username, password: password, insecure: insecure,
                webhookSecret: webhookSecret)
            definition.robotDurationDays = robotDurationDays
            let registry = try await APIClient.with(connection) { client in
                let data = try await client.send("PUT", "/api/v1/registries/\(segment(name))", body: definition)
                return try client.decode(RegistryView.self, data)
            }
            try emit(registry, connection.output) { RegistriesCommand.table([$0]) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a registry no group uses.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String

        func run() async throws {
            _ = try await APIClient.with(connection) {
                try await $0.send("DELETE", "/api/v1/registries/\(segment(name))")
            }
            print("deleted registry \(name)")
        }
    }
}
