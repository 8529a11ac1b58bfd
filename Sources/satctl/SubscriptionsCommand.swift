import ArgumentParser
import FleetAPI
import Foundation
import SatelliteProtocol

/// `satctl subscriptions …`: where Ground Control sends its events, and how delivery goes.
struct SubscriptionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscriptions",
        abstract: "Event subscriptions (CloudEvents over HTTP): list, put, delete, deliveries.",
        subcommands: [List.self, Put.self, Delete.self, Deliveries.self])

    static func table(_ subscriptions: [SubscriptionView]) -> [[String]] {
        [["NAME", "URL", "TYPES", "PENDING", "FAILURES", "LAST ERROR"]]
            + subscriptions.map {
                [
                    $0.name, $0.url, $0.types.isEmpty ? "all" : $0.types.joined(separator: ","), String($0.pending),
                    String($0.failures),
                    $0.lastError ?? "-",
                ]
            }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List subscriptions and how far each is delivered.")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let subscriptions = try await APIClient.with(connection) {
                try await $0.get("/api/v1/subscriptions", as: [SubscriptionView].self)
            }
            try emit(subscriptions, connection.output, table: SubscriptionsCommand.table)
        }
    }

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or change a subscription (admin).")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String
        @Option(help: "The http:// or https:// URL events are POSTed to.") var endpoint: String
        @Option(name: .customLong("type"), help: "An event type to send (repeat it); all types when none is given.")
        var types: [String] = []
        @Option(
            name: .customLong("secret-file"),
            help:
                """
                A file with the secret that signs deliveries (16 characters or more), or - for standard input; \
                required for a new subscription.
                """
        )
        var secretFile: String?

        func run() async throws {
            let definition = SubscriptionDefinition(
                url: endpoint, types: types.isEmpty ? nil : types, secret: try secretFile.map(readSecret))
            let view = try await APIClient.with(connection) { client in
                try client.decode(
                    SubscriptionView.self,
                    try await client.send("PUT", "/api/v1/subscriptions/\(segment(name))", body: definition))
            }
            try emit([view], connection.output, table: SubscriptionsCommand.table)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a subscription and its delivery log (admin).")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String

        func run() async throws {
            _ = try await APIClient.with(connection) {
                try await $0.send("DELETE", "/api/v1/subscriptions/\(segment(name))")
            }
            print("subscription \(name) deleted")
        }
    }

    struct Deliveries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The delivery log of a subscription, newest first.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String
        @Option(help: "How many attempts to show (1 to 1000, default 100).") var limit = 100

        func run() async throws {
            let log = try await APIClient.with(connection) {
                try await $0.get(
                    "/api/v1/subscriptions/\(segment(name))/deliveries?limit=\(limit)", as: [DeliveryAttempt].self)
            }
            try emit(log, connection.output) { attempts in
                [["EVENT", "TYPE", "AT", "ATTEMPT", "RESULT"]]
                    + attempts.map {
                        [
                            String($0.eventId), $0.type, show($0.at), String($0.attempt),
                            $0.status.map { "HTTP \($0)" } ?? ($0.error ?? "-"),
                        ]
                    }
            }
        }
    }
}
