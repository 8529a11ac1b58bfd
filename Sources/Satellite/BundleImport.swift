import DurableFiles
import Foundation
import Logging
import OCI
import RegistryStore
import Replication
import SatelliteProtocol
import StateContent

/// `satellite import`: applies a bundle with no network. The state's signature is checked before
/// any content is read; every blob is hashed as it is written; the state's own sync then runs
/// against what arrived, signature policy included, and commits whole or not at all. A refused
/// bundle leaves the store as it was.
public struct BundleImport {
    public struct Options: Sendable {
        public var path: String
        public var dataDirectory: DataDirectory
        /// Ground Control's state key (base64 Ed25519); without it, the one saved at registration.
        public var publicKey: String?

        public init(path: String, dataDirectory: DataDirectory, publicKey: String? = nil) {
            self.path = path
            self.dataDirectory = dataDirectory
            self.publicKey = publicKey
        }
    }

    public struct Outcome: Sendable {
        public let generation: Int64
        public let since: Int64?
        public let artifacts: Int
        /// Blobs written to the store, and those the store held already.
        public let blobsWritten: Int
        public let blobsHeld: Int
        public let bytesWritten: Int64
        /// Where the state now is, for `satellite run`.
        public let statePath: String
    }

    /// The file a satellite that is not registered with Ground Control follows after an import
    /// (`satellite run --state-file … --state-public-key …`); its signature sits beside it.
    public static func stateFilePath(in dataDirectory: DataDirectory) -> String { dataDirectory.importedState }

    let options: Options
    let store: RegistryStore
    let logger: Logger

    public init(options: Options, store: RegistryStore, logger: Logger) {
        self.options = options
        self.store = store
        self.logger = logger
    }

    public func run() async throws -> Outcome {
        let registered = try GroundControlCredentials.load(from: options.dataDirectory)
        guard let key = options.publicKey ?? registered?.publicKey else {
            throw ReplicationError(
                .configuration,
                """
                no key to check the bundle's state with: this satellite is not registered with Ground Control; \
                give --state-public-key (GET /api/v1/public-key)
                """
            )
        }
        let reader = try BundleReader(path: options.path)
        var signed: SignedBundleState?
        var index: BundleIndex?
        var pending: (document: [UInt8]?, signature: String?) = (nil, nil)
        var about: BundleAbout?
        var written: [Digest] = []
        var held = 0
        var bytes: Int64 = 0
        do {
            while let entry = try reader.next() {
                switch entry.name {
                case BundleLayout.stateFile:
                    pending.document = try reader.contents(limit: BundleLayout.smallFileLimit)
                case BundleLayout.signatureFile:
                    pending.signature = String(decoding: try reader.contents(limit: 4096), as: UTF8.self)
                case BundleLayout.aboutFile:
                    about = try? JSONDecoder().decode(BundleAbout.self, from: Data(try reader.contents(limit: 1 << 16)))
                case BundleLayout.indexFile:
                    index = try BundleIndex(parsing: try reader.contents(limit: BundleLayout.smallFileLimit))
                case BundleLayout.layoutFile:
                    _ = try reader.contents(limit: 4096)
                default:
                    guard let digest = BundleLayout.digest(atPath: entry.name) else { continue }
                    guard signed != nil else {
                        throw ReplicationError(
                            .invalidContent,
                            """
                            \(entry.name) comes before the bundle's state and its signature: not a bundle Ground \
                            Control or a satellite made
                            """
                        )
                    }
                    if try await store.hasBlob(digest) {
                        held += 1
                        continue
                    }
                    try await ingest(digest, size: entry.size, from: reader)
                    written.append(digest)
                    bytes += entry.size
                }
                if signed == nil, let document = pending.document, let signature = pending.signature {
                    let verified = try SignedBundleState(document: document, signature: signature, key: key)
                    try refuseIfForAnother(verified.state, registered: registered)
                    try refuseIfOlder(verified.state.generation, key: key)
                    signed = verified
                }
            }
            guard let signed else {
                throw ReplicationError(
                    .invalidContent,
                    "the bundle has no \(BundleLayout.stateFile) with its \(BundleLayout.signatureFile)")
            }
            guard let index else {
                throw ReplicationError(.invalidContent, "the bundle has no \(BundleLayout.indexFile)")
            }
            let report = try await apply(signed.state, index: index)
            // Only what the signed manifests name stays: anything else in the tar is nobody's to serve.
            let extra = try await store.discardUnneeded(written)
            if extra > 0 {
                logger.notice(
                    "the bundle carried blobs no manifest of its state names; discarded",
                    metadata: ["blobs": "\(extra)"])
            }
            let statePath = try keep(signed, registered: registered != nil)
            let snapshot = StatusSnapshot(
                dataDirectory: options.dataDirectory, stateSource: "bundle \(options.path)", store: store,
                logger: logger)
            await snapshot.accepted(VerifiedState(signed.state, origin: "bundle \(options.path)"))
            await snapshot.record(report)
            return Outcome(
                generation: signed.state.generation, since: about?.since, artifacts: signed.state.artifacts.count,
                blobsWritten: written.count - extra, blobsHeld: held, bytesWritten: bytes, statePath: statePath)
        } catch {
            // What arrived is not named by any manifest yet: it goes now, not after the grace period.
            let discarded = (try? await store.discardUnneeded(written)) ?? 0
            logger.info("bundle refused; its content is discarded", metadata: ["blobs": "\(discarded)"])
            throw error
        }
    }

    private func ingest(_ digest: Digest, size: Int64, from reader: BundleReader) async throws {
        do {
            try await store.ingestBlob(digest, into: nil) { ingest in
                try await reader.stream { try await ingest.append($0) }
            }
        } catch let error as StoreError where error.code == .digestMismatch {
            throw ReplicationError(
                .digestMismatch,
                """
                \(BundleLayout.blobPath(digest)) does not hold what its name says (\(error.message)): the bundle \
                is damaged
                """
            )
        }
    }

    /// The state's own sync, against the content now held, whole or nothing.
    private func apply(_ state: DesiredState, index: BundleIndex) async throws -> SyncReport {
        let sources = try await HeldContentSources.importing(index, into: store)
        let replicator = Replicator(store: store, sources: sources, logger: logger)
        let report = await replicator.sync(state, wholeOrNothing: true)
        guard report.succeeded else {
            let failures = report.failures.filter { !$0.message.hasPrefix("not applied:") }
            let reasons = failures.map { "\($0.reference): \($0.message)" }.joined(separator: "; ")
            throw ReplicationError(.configuration, "the bundle is refused and nothing was applied: \(reasons)")
        }
        return report
    }

    /// A bundle made for another satellite would put that satellite's images, settings and
    /// site here. The directory's satellite is its registration's, or, unregistered, the one
    /// whose bundle it took last.
    private func refuseIfForAnother(
        _ state: DesiredState, registered: GroundControlCredentials?
    ) throws(ReplicationError) {
        let previous = (try? String(contentsOfFile: Self.stateFilePath(in: options.dataDirectory), encoding: .utf8))
            .flatMap { try? StateFile.parse($0) }?.satellite
        guard let own = registered?.name ?? previous else { return }
        guard let named = state.satellite else {
            throw ReplicationError(
                .configuration,
                """
                the bundle's state names no satellite, and this data directory is satellite '\(own)''s: make its \
                bundle with this Ground Control (satctl satellites bundle \(own))
                """
            )
        }
        guard named == own else {
            throw ReplicationError(
                .configuration,
                """
                the bundle is for satellite '\(named)', and this data directory is satellite '\(own)''s: refused \
                before any content was read
                """
            )
        }
    }

    /// A generation older than the one applied would take the satellite back.
    private func refuseIfOlder(_ generation: Int64, key: String) throws(ReplicationError) {
        var applied: Int64 = 0
        if let status = try? SatelliteStatus.read(from: options.dataDirectory), let last = status.lastSync,
            last.succeeded
        {
            applied = last.generation
        }
        if case .verified(let saved, _) = SavedState.load(in: options.dataDirectory, publicKey: key) {
            applied = max(applied, saved.generation)
        }
        guard generation >= applied else {
            throw ReplicationError(
                .configuration,
                """
                the bundle brings generation \(generation), older than generation \(applied) that this satellite \
                applied; refused
                """
            )
        }
    }

    /// Keeps the state where the next `satellite run` takes it from: the saved state of a
    /// registered satellite, else a signed state file.
    private func keep(_ signed: SignedBundleState, registered: Bool) throws -> String {
        if registered {
            try SavedState.save(
                Data(signed.document), signature: signed.signature, fromBundle: true, in: options.dataDirectory)
            return SavedState.path(in: options.dataDirectory)
        }
        let path = Self.stateFilePath(in: options.dataDirectory)
        try DurableFile.write(Data(signed.document), to: path, mode: .created(0o600))
        try DurableFile.write(Data(signed.signature.utf8), to: path + ".sig", mode: .created(0o600))
        return path
    }
}

/// A bundle's state whose signature verified.
struct SignedBundleState {
    let document: [UInt8]
    let signature: String
    let state: DesiredState

    init(document: [UInt8], signature raw: String, key: String) throws {
        signature = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard StateSignature.isValid(signature, for: Data(document), publicKey: key) else {
            throw ReplicationError(
                .signature,
                "the bundle's state is not signed by Ground Control's key: refused before any content was read")
        }
        self.document = document
        do {
            state = try StateFile.parse(String(decoding: document, as: UTF8.self), path: BundleLayout.stateFile)
        } catch {
            throw ReplicationError(.invalidContent, "\(error)")
        }
    }
}
