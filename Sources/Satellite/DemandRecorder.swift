import BackgroundWork
import DurableFiles
import Foundation
import Logging
import OCI
import RegistryServer
import SatelliteProtocol
import ServiceLifecycle
import Synchronization

/// Counts what devices asked for that the store did not hold (the registry's `DemandLog`), per
/// upstream, repository and tag or digest, for the heartbeat, `satellite status` and Ground
/// Control's demand list.
///
/// Bounded: at most `maxEntries` are kept (the one asked for longest ago gives way), and one
/// nobody asked for in `forgetAfter` is dropped. The counts are kept across restarts in
/// `demand.json`, written every 5 s when they changed and at a stop, never on a request's path.
package final class DemandRecorder: DemandLog, SyncObserver, Service, Sendable {
    private struct Key: Hashable {
        let upstream: String?
        let host: String?
        let repository: String
        let reference: String
    }

    private struct Current {
        var entries: [Key: DemandEntry] = [:]
        /// The state's upstreams: a stored name that opens with one is that upstream's repository.
        var upstreams: Set<String> = []
        var changed = false
    }

    package static let maxEntries = 1_000
    package static let forgetAfter: TimeInterval = 30 * 86_400
    static let saveEvery: Duration = .seconds(5)

    private let file: String
    private let clock: @Sendable () -> Date
    private let logger: Logger
    private let current = Mutex(Current())
    /// Serialises writes of the file, which happen outside the lock.
    private let saving = Mutex(())

    package init(directory: DataDirectory, logger: Logger, clock: @escaping @Sendable () -> Date = { Date() }) {
        file = directory.demand
        self.clock = clock
        self.logger = logger
        do {
            guard let kept = try Self.read(file) else { return }
            current.withLock { current in
                for entry in kept.entries.prefix(Self.maxEntries) { current.entries[Self.key(of: entry)] = entry }
            }
        } catch {
            logger.warning("the demand counts cannot be read; counting anew", metadata: ["error": "\(error)"])
        }
    }

    package func accepted(_ state: DesiredState) async {
        let names = Set(state.upstreams.map(\.name))
        current.withLock { $0.upstreams = names }
    }

    package func synced(_ state: DesiredState) async {}

    package func asked(_ request: UnheldManifest) {
        let now = clock()
        current.withLock { current in
            var upstream: String?
            var repository = request.repository.value
            if let slash = repository.firstIndex(of: "/"), current.upstreams.contains(String(repository[..<slash])) {
                upstream = String(repository[..<slash])
                repository = String(repository[repository.index(after: slash)...])
            }
            var tag: String?
            var digest: String?
            switch request.reference {
            case .tag(let named): tag = named.value
            case .digest(let pinned): digest = pinned.string
            }
            let key = Key(
                upstream: upstream, host: request.unknownHost, repository: repository, reference: tag ?? digest ?? "")
            var entry =
                current.entries[key]
                ?? DemandEntry(
                    upstream: upstream, host: request.unknownHost, repository: repository, tag: tag, digest: digest,
                    lastAskedAt: now)
            switch request.outcome {
            case .fetched, .unavailable, .deferred: entry.misses &+= 1
            case .denied: entry.denied &+= 1
            case .notFound: entry.notFound &+= 1
            }
            entry.lastAskedAt = now
            if current.entries[key] == nil, current.entries.count >= Self.maxEntries,
                let oldest = current.entries.min(by: { $0.value.lastAskedAt < $1.value.lastAskedAt })?.key
            {
                current.entries[oldest] = nil
            }
            current.entries[key] = entry
            current.changed = true
        }
    }

    /// What the heartbeat carries: the entries asked for most, at most `DemandReport.reportedEntries`.
    package func report() -> DemandReport? {
        let now = clock()
        let entries = current.withLock { current in
            current.entries = current.entries.filter { now.timeIntervalSince($0.value.lastAskedAt) < Self.forgetAfter }
            return Array(current.entries.values)
        }
        return Self.report(of: entries)
    }

    package func run() async throws {
        await PeriodicWork(every: Self.saveEvery).run(waitFirst: true) { save() }
        save()
    }

    /// Writes the counts when they changed since the last write.
    package func save() {
        saving.withLock { _ in
            let entries = current.withLock { current -> [DemandEntry]? in
                guard current.changed else { return nil }
                current.changed = false
                return Array(current.entries.values)
            }
            guard let entries else { return }
            do {
                let data = try APIJSON.encoder().encode(DemandReport(entries: Self.ordered(entries)))
                try DurableFile.write(data, to: file, mode: .created(0o600))
            } catch {
                current.withLock { $0.changed = true }
                logger.warning("cannot write the demand counts", metadata: ["error": "\(error)"])
            }
        }
    }

    /// The report a stopped or running agent's `demand.json` holds (`satellite status`).
    static func report(in directory: DataDirectory) -> DemandReport? {
        guard let kept = try? read(directory.demand) else { return nil }
        return report(of: kept.entries)
    }

    private static func report(of entries: [DemandEntry]) -> DemandReport? {
        guard !entries.isEmpty else { return nil }
        let reported = ordered(entries).prefix(DemandReport.reportedEntries)
        let omitted = entries.count - reported.count
        return DemandReport(entries: Array(reported), omitted: omitted > 0 ? omitted : nil)
    }

    /// Asked for most first; of those asked for as often, most recently first.
    private static func ordered(_ entries: [DemandEntry]) -> [DemandEntry] {
        entries.sorted { ($0.requests, $0.lastAskedAt, $0.reference) > ($1.requests, $1.lastAskedAt, $1.reference) }
    }

    private static func read(_ file: String) throws -> DemandReport? {
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        return try APIJSON.decoder().decode(DemandReport.self, from: data)
    }

    private static func key(of entry: DemandEntry) -> Key {
        Key(
            upstream: entry.upstream, host: entry.host, repository: entry.repository,
            reference: entry.tag ?? entry.digest ?? "")
    }
}
