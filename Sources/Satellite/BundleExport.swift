import DurableFiles
import Foundation
import Logging
import NIOCore
import OCI
import RegistryStore
import Replication
import SatelliteProtocol
import StateContent

/// `satellite export`: a bundle of what this satellite holds for the state it follows, for a
/// site that takes its images from another site. Reads the store only, so it may run while the
/// satellite serves. The file appears only when complete.
public struct BundleExport {
    public struct Options: Sendable {
        public var dataDirectory: DataDirectory
        public var output: String
        /// A state Ground Control sent online carries registry credentials; they travel only when asked.
        public var includeCredentials = false

        public init(dataDirectory: DataDirectory, output: String) {
            self.dataDirectory = dataDirectory
            self.output = output
        }
    }

    let options: Options
    let store: RegistryStore
    let logger: Logger

    public init(options: Options, store: RegistryStore, logger: Logger) {
        self.options = options
        self.store = store
        self.logger = logger
    }

    public func run() async throws -> BundleAbout {
        let (document, signature) = try signedState()
        let state: DesiredState
        do {
            state = try StateFile.parse(
                String(decoding: document, as: UTF8.self), path: "the state this satellite follows")
        } catch {
            throw ReplicationError(.invalidContent, "\(error)")
        }
        if !options.includeCredentials, state.upstreams.contains(where: { $0.password != nil || $0.username != nil }) {
            throw ReplicationError(
                .configuration,
                """
                the state this satellite follows carries registry credentials, and a bundle would carry them too: \
                make the bundle at Ground Control (satctl satellites bundle), which leaves them out, or give \
                --include-credentials
                """
            )
        }
        let replicator = Replicator(
            store: NothingHeld(), sources: HeldContentSources.exporting(from: store), logger: logger)
        let contents = await replicator.contents(of: state)
        if let failure = contents.failures.first {
            throw ReplicationError(
                .notFound,
                "this satellite does not hold all of its state: \(failure.reference): \(failure.error.message)")
        }
        // Written as `<output>.partial`, owner-only, and renamed only when whole.
        do {
            return try await DurableFile.replace(
                options.output, mode: .exactly(0o600), temporary: options.output + ".partial"
            ) { file in
                let writer = BundleWriter(output: FileOutput(handle: file.handle))
                return try await BundleMaker.write(
                    state: Array(document), signature: signature, generation: state.generation, since: nil,
                    contents: contents, to: writer)
            }
        } catch let error as DurableFileError {
            throw ReplicationError(.storeError, error.description)
        }
    }

    /// The state and its signature as they were received: Ground Control's saved state, or the
    /// state file an import left.
    private func signedState() throws -> (Data, String) {
        if let saved = SavedState.raw(in: options.dataDirectory) { return saved }
        let path = BundleImport.stateFilePath(in: options.dataDirectory)
        if let document = FileManager.default.contents(atPath: path),
            let signature = FileManager.default.contents(atPath: path + ".sig")
        {
            return (
                document, String(decoding: signature, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            )
        }
        throw ReplicationError(
            .configuration,
            "\(options.dataDirectory) has no signed state to export (neither Ground Control's nor an imported one)")
    }
}

/// A bundle written to a file.
public struct FileOutput: BundleOutput {
    let handle: FileHandle

    public init(handle: FileHandle) { self.handle = handle }

    public mutating func write(_ buffer: ByteBuffer) async throws {
        try buffer.withUnsafeReadableBytes { try handle.write(contentsOf: $0) }
    }
}
