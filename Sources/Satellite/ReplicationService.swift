import Foundation
import Logging
import Replication
import RegistryStore
import SatelliteProtocol
import ServiceLifecycle

/// The agent loop: reads the desired state, reconciles the store against it, and keeps doing so.
///
/// Syncs when the state changes and every `syncInterval` (tags move upstream). A sync that leaves
/// anything unsynced is retried with backoff and jitter, forever. A state file that cannot be used
/// is refused with its error and the last good state stays applied.
public struct ReplicationService: Service {
    public struct Options: Sendable {
        public var stateFile: String
        public var dataDirectory: String
        public var syncInterval: Duration = .seconds(300)
        /// How often the state file is checked for changes.
        public var pollInterval: Duration = .seconds(1)
        public var maximumBackoff: Duration = .seconds(300)
        /// For a state Ground Control signed: the key its signature must verify with (nil until
        /// registered). A state file an operator writes has none.
        public var signingKey: (@Sendable () -> String?)?

        public init(stateFile: String, dataDirectory: String) {
            self.stateFile = stateFile
            self.dataDirectory = dataDirectory
        }
    }

    let options: Options
    let replicator: Replicator
    let store: RegistryStore
    let logger: Logger

    public init(options: Options, replicator: Replicator, store: RegistryStore, logger: Logger) {
        self.options = options
        self.replicator = replicator
        self.store = store
        self.logger = logger
    }

    public func run() async throws {
        var lastText: String?
        var state: DesiredState?
        var stateError: String?
        var lastReport: SyncReport?
        var nextSync = ContinuousClock.now
        var failures = 0
        defer { Task { [replicator] in await replicator.shutdown() } }

        while !Task.isShuttingDownGracefully {
            let data = try? Data(contentsOf: URL(fileURLWithPath: options.stateFile))
            let text = data.map { String(decoding: $0, as: UTF8.self) }
            if text != lastText {
                lastText = text
                do {
                    guard let data, let text else { throw StateFile.LoadError(path: options.stateFile, line: nil, field: nil, reason: "cannot read it") }
                    if let signingKey = options.signingKey {
                        try SavedState.verify(data, path: options.stateFile, publicKey: signingKey())
                    }
                    let loaded = try StateFile.parse(text, path: options.stateFile)
                    if loaded != state {
                        logger.info("desired state loaded", metadata: [
                            "generation": "\(loaded.generation)", "artifacts": "\(loaded.artifacts.count)",
                        ])
                        state = loaded
                        nextSync = .now
                        failures = 0
                    }
                    stateError = nil
                } catch {
                    stateError = "\(error)"
                    logger.error("state file refused; keeping the last good state", metadata: ["error": "\(error)"])
                }
                await writeStatus(lastReport, stateError: stateError)
            }
            if let state, ContinuousClock.now >= nextSync {
                let report = await replicator.sync(state)
                lastReport = report
                await writeStatus(report, stateError: stateError)
                if report.succeeded {
                    failures = 0
                    // Ground Control's setting for this satellite, when the state carries one.
                    nextSync = .now + (state.settings.map { .seconds($0.syncIntervalSeconds) } ?? options.syncInterval)
                } else {
                    failures += 1
                    let backoff = RetryDelay.after(failures: failures, maximum: options.maximumBackoff)
                    logger.warning("sync incomplete; retrying", metadata: ["in": "\(backoff)", "failures": "\(failures)"])
                    nextSync = .now + backoff
                }
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: options.pollInterval) }
            } catch {
                return
            }
        }
    }

    private func writeStatus(_ report: SyncReport?, stateError: String?) async {
        let tags = (try? await store.allTags()) ?? []
        let status = SatelliteStatus(
            updatedAt: Date(), stateSource: options.stateFile, stateError: stateError, lastSync: report,
            inventory: tags.map { .init(repository: $0.repository, tag: $0.tag, digest: $0.digest) })
        do {
            try status.write(to: options.dataDirectory)
        } catch {
            logger.error("cannot write status.json", metadata: ["error": "\(error)"])
        }
    }
}

/// Backoff between failed syncs: doubling from one second, with jitter, up to a maximum.
enum RetryDelay {
    static func after(failures: Int, maximum: Duration) -> Duration {
        let ceiling = min(Duration.seconds(1) * (1 << min(failures - 1, 16)), maximum)
        return ceiling * Double.random(in: 0.5...1.0)
    }
}
