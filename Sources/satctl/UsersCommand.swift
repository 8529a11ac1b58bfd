import ArgumentParser
import DurableFiles
import FleetAPI
import Foundation
import SatelliteProtocol

/// `satctl users …`: people and their roles (admin only).
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "People with accounts: list, put (create or change), delete.",
        subcommands: [List.self, Put.self, Delete.self])

    static func table(_ users: [UserView]) -> [[String]] {
        [["NAME", "ROLE", "PASSWORD", "TOKENS", "CREATED"]]
            + users.map { [$0.name, $0.role, $0.hasPassword ? "yes" : "no", String($0.tokens), show($0.createdAt)] }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List people and their roles.")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let users = try await APIClient.with(connection) { try await $0.get("/api/v1/users", as: [UserView].self) }
            try emit(users, connection.output, table: UsersCommand.table)
        }
    }

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a person or change their role (and password).")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String
        @Option(help: "admin, operator or viewer.") var role: String
        @Option(
            name: .customLong("password-file"),
            help: "A file with their password (12 characters or more), or - for standard input.")
        var passwordFile: String?

        func run() async throws {
            let password = try passwordFile.map(readSecret)
            let view = try await APIClient.with(connection) { client in
                try client.decode(
                    UserView.self,
                    try await client.send(
                        "PUT", "/api/v1/users/\(segment(name))", body: UserDefinition(role: role, password: password)))
            }
            try emit([view], connection.output, table: UsersCommand.table)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a person and every token they hold.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String

        func run() async throws {
            _ = try await APIClient.with(connection) { try await $0.send("DELETE", "/api/v1/users/\(segment(name))") }
            print("user \(name) deleted")
        }
    }
}

/// `satctl login`: a personal token for satctl, saved owner-only.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in with your name and password; the personal token is saved (0600) for the next commands.")
    @Option(help: "Ground Control's base URL (or SATCTL_URL).") var url: String?
    @Option(help: "PEM certificates to trust for Ground Control's HTTPS (or SATCTL_CA).") var ca: String?
    @Option(help: "Your name.") var user: String
    @Option(
        name: .customLong("password-file"), help: "A file with your password, or - for standard input (the default).")
    var passwordFile = "-"
    @Option(name: .customLong("expires-in-days"), help: "How long the token lasts, 1 to 365 (default 90).") var days:
        Int?

    func run() async throws {
        guard let url = url ?? ProcessInfo.processInfo.environment["SATCTL_URL"] else {
            throw ValidationError("--url (or SATCTL_URL) is required")
        }
        let password = try readSecret(passwordFile)
        let basic = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        let client = try APIClient(
            baseURL: url, token: "", authorization: basic,
            caFile: ca ?? ProcessInfo.processInfo.environment["SATCTL_CA"])
        defer { Task { await client.shutdown() } }
        let token = try client.decode(
            PersonalToken.self,
            try await client.send(
                "POST", "/api/v1/tokens", body: TokenRequest(description: "satctl", expiresInDays: days)))
        let path = try SavedLogin(url: url, user: token.user, token: token.token, expiresAt: token.expiresAt).save()
        print("logged in as \(token.user) until \(show(token.expiresAt)); the token is in \(path)")
    }
}

/// `satctl whoami`: who the token in use stands for.
struct WhoamiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami", abstract: "Show who the token in use stands for, and their role.")
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let identity = try await APIClient.with(connection) { try await $0.get("/api/v1/whoami", as: Identity.self) }
        try emit(identity, connection.output) { [["USER", "ROLE"], [$0.user ?? "(admin token)", $0.role]] }
    }
}

/// A secret from a file, or from standard input for `-`; never from the command line.
func readSecret(_ path: String) throws -> String {
    let data = path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: path)
    guard let data else { throw ValidationError("cannot read \(path)") }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
}

/// What `satctl login` keeps: `$SATCTL_CREDENTIALS`, else `$XDG_CONFIG_HOME/satctl/credentials.json`,
/// else `~/.config/satctl/credentials.json`; owner-only.
struct SavedLogin: Codable {
    var url: String
    var user: String
    var token: String
    var expiresAt: Date

    static var path: String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["SATCTL_CREDENTIALS"], !path.isEmpty { return path }
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.config")
        return base + "/satctl/credentials.json"
    }

    static func load() throws -> SavedLogin? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try APIJSON.decoder().decode(SavedLogin.self, from: data)
        } catch {
            throw ValidationError("\(path) is damaged (\(error)); log in again with satctl login")
        }
    }

    func save() throws -> String {
        let path = Self.path
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        do {
            try DurableFile.write(try APIJSON.encoder().encode(self), to: path, mode: .exactly(0o600))
        } catch {
            throw ValidationError("cannot write \(path): \(error)")
        }
        return path
    }
}
