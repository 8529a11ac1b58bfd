import ArgumentParser
import Foundation
import Logging
import ProgramSupport
import RegistryStore
import Replication
import Satellite
import StateContent

/// `satellite import`: applies a signed bundle with no network.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract:
            "Apply a bundle (from satctl satellites bundle or satellite export) with no network: all of it or nothing.")

    @Argument(help: "The bundle file, or - for standard input.")
    var file: String

    @Option(
        name: .customLong("data-dir"),
        help: "The satellite's data directory (default ./satellite-data); the satellite must be stopped.")
    var dataDirectory: String = "satellite-data"

    @Option(name: .customLong("data-mode"), help: ArgumentHelp(stringLiteral: DataDirectoryMode.flagHelp))
    var dataMode: String?

    @Option(
        name: .customLong("state-public-key"),
        help: "File with Ground Control's state key (base64 Ed25519), for a satellite that never registered.")
    var statePublicKey: String?

    @Option(
        name: .customLong("log-level"),
        help: "trace, debug, info, notice, warning, error or critical (default warning).")
    var logLevel: String = "warning"

    func run() async throws {
        let logger = try BundleCommandSupport.logger(logLevel)
        let key = try statePublicKey.map(StatePublicKey.read)
        try DataDirectoryMode.apply(
            try DataDirectoryMode.parse(dataMode), to: dataDirectory, warn: { logger.warning("\($0)") })
        let directory = DataDirectory(dataDirectory)
        let lock = try DataDirectoryLock(directory: directory, purpose: "importing a bundle into it")
        defer { withExtendedLifetime(lock) {} }
        let store = try RegistryStore(directory: dataDirectory, logger: logger)
        let started = ContinuousClock.now
        let outcome = try await BundleImport(
            options: .init(path: file, dataDirectory: directory, publicKey: key), store: store, logger: logger
        ).run()
        let seconds = BundleCommandSupport.seconds(ContinuousClock.now - started)
        print(
            """
            imported generation \(outcome.generation)\(outcome.since.map { " (a delta on generation \($0))" } ?? ""): \
            \(outcome.artifacts) artifacts, \(outcome.blobsWritten) blobs written (\(outcome.bytesWritten) bytes), \
            \(outcome.blobsHeld) already held, in \(seconds) s
            the state is kept in \(outcome.statePath)
            """)
        if outcome.statePath == BundleImport.stateFilePath(in: directory) {
            print(
                """
                serve it with: satellite run --data-dir \(dataDirectory) --state-file \(outcome.statePath) \
                --state-public-key \(statePublicKey ?? "KEY")
                """
            )
        }
    }
}

/// `satellite export`: a bundle of what this satellite holds.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a bundle of the state this satellite follows and everything it needs, for another site.")

    @Option(name: .customLong("data-dir"), help: "The satellite's data directory (default ./satellite-data).")
    var dataDirectory: String = "satellite-data"

    @Option(name: .shortAndLong, help: "The bundle file to write (created 0600; it appears only when complete).")
    var output: String

    @Flag(
        name: .customLong("include-credentials"),
        help: "Export even though the state carries registry credentials (they travel in the bundle).")
    var includeCredentials = false

    @Option(
        name: .customLong("log-level"),
        help: "trace, debug, info, notice, warning, error or critical (default warning).")
    var logLevel: String = "warning"

    func run() async throws {
        let logger = try BundleCommandSupport.logger(logLevel)
        guard FileManager.default.fileExists(atPath: dataDirectory) else {
            throw SettingsError("data-dir: \(dataDirectory) does not exist")
        }
        // The satellite may be serving: open without the sweep that only the store's owner may do.
        var storeOptions = RegistryStore.Options()
        storeOptions.cleansUpOnOpen = false
        let store = try RegistryStore(directory: dataDirectory, options: storeOptions, logger: logger)
        var options = BundleExport.Options(dataDirectory: DataDirectory(dataDirectory), output: output)
        options.includeCredentials = includeCredentials
        let started = ContinuousClock.now
        let about = try await BundleExport(options: options, store: store, logger: logger).run()
        print(
            """
            wrote \(output): generation \(about.generation), \(about.blobs) blobs, \(about.bytes) bytes, in \
            \(BundleCommandSupport.seconds(ContinuousClock.now - started)) s
            """
        )
    }
}

enum BundleCommandSupport {
    static func logger(_ level: String) throws -> Logger {
        guard let parsed = Logger.Level(rawValue: level) else {
            throw SettingsError("log-level: '\(level)' is not a level")
        }
        return LogLevelControl(parsed).logger(label: "satellite")
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.2f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}
