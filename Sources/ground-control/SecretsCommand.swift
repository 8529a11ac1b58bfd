import ArgumentParser
import FleetDomain
import ProgramSupport

/// `ground-control secrets`: the key-encryption key the database's secrets are sealed with.
struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets", abstract: "Manage the key the fleet database's secrets are sealed with.",
        subcommands: [RotateKey.self])

    /// Moves every sealed secret to a new key in one transaction.
    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Seal every secret under a new key, made owner-only in a new file.",
            discussion: """
                Stop Ground Control first (every replica, on PostgreSQL): a process still holding the old key \
                cannot open what is sealed under the new. Then start it with --secret-key-file naming the new \
                file; the old one can be deleted once no backup still needs it.
                """)

        @OptionGroup var database: DatabaseOptions

        @Option(
            name: .customLong("new-key-file"),
            help: "The new key's file: made owner-only when absent, or one made before (copied to every replica).")
        var newKeyFile: String

        func run() async throws {
            let settings = try await database.settings
            guard let current = try settings.existingSealer() else {
                throw SettingsError("secret-key-file \(settings.secretKeyFile) does not exist: name the current key")
            }
            let new: SecretSealer
            do {
                new = SecretSealer(key: try SecretKeyFile.loadOrCreate(newKeyFile))
            } catch {
                throw SettingsError(error.description)
            }
            guard new.keyID != current.keyID else {
                throw SettingsError("new-key-file \(newKeyFile) holds the current key; name a new file")
            }
            // Not prepared: after a rotation that committed, the current key no longer opens it.
            let count = try await database.withStore(prepared: false) { store in
                try await SecretsAtRest.rotate(store, to: new)
            }
            let done = count.map { "\($0) secrets sealed" } ?? "the database was sealed already"
            print(
                """
                ground-control: \(done) under secret key \(new.keyID) in \(newKeyFile); \
                start ground-control with --secret-key-file \(newKeyFile)
                """)
        }
    }
}
