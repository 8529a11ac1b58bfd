import Foundation
import Logging
import OCI
import RegistryStore
import Replication
import SatelliteProtocol
import StateContent

/// What the agent knows about itself, in memory: the state it follows, why a newer one was
/// refused, and the last sync's report. The heartbeat reads it; `status.json` mirrors it for
/// `satellite status`; `changed` wakes the heartbeat when a sync ends or a state is refused.
public actor StatusSnapshot {
    let dataDirectory: DataDirectory
    let store: RegistryStore
    let logger: Logger
    private(set) var stateSource: String
    private(set) var stateError: String?
    private(set) var lastReport: SyncReport?
    private(set) var revokedReason: String?
    /// The newest generation a sync brought fully in line.
    private(set) var appliedGeneration: Int64 = 0
    nonisolated let changed = ChangeSignal()
    /// Whether a stored repository is pull-through's cache, not the state's.
    let isCached: @Sendable (String) -> Bool
    /// The site: this satellite's advertised address and its traffic with peers and upstreams.
    let site: @Sendable () -> (advertised: String?, transfer: TransferCounts?)
    /// The sync windows as they stand now.
    let link: @Sendable () -> LinkReport?
    /// Upstream bytes and budgets.
    let meter: @Sendable () -> MeterReport?
    /// What devices asked for that the store did not hold.
    let demand: @Sendable () -> DemandReport?

    public init(
        dataDirectory: DataDirectory, stateSource: String, store: RegistryStore, logger: Logger,
        isCached: @escaping @Sendable (String) -> Bool = { _ in false },
        site: @escaping @Sendable () -> (advertised: String?, transfer: TransferCounts?) = { (nil, nil) },
        link: @escaping @Sendable () -> LinkReport? = { nil },
        meter: @escaping @Sendable () -> MeterReport? = { nil },
        demand: @escaping @Sendable () -> DemandReport? = { nil }
    ) {
        self.demand = demand
        self.link = link
        self.meter = meter
        self.dataDirectory = dataDirectory
        self.isCached = isCached
        self.site = site
        self.stateSource = stateSource
        self.store = store
        self.logger = logger
        // After a restart, what the last run reported stands until the first sync.
        if let previous = try? SatelliteStatus.read(from: dataDirectory), let report = previous.lastSync {
            lastReport = report
            if report.succeeded { appliedGeneration = report.generation }
        }
    }

    /// A state was taken from its source.
    func accepted(_ state: VerifiedState) async {
        stateSource = state.origin
        stateError = nil
        await writeFile()
    }

    /// A source's state was refused; the last good one stays applied.
    func refused(_ reason: String) async {
        stateError = reason
        await writeFile()
        changed.notify()
    }

    /// The source will give no more states: nothing is synced or reported from now on.
    func revoked(_ reason: String) async {
        revokedReason = reason
        await writeFile()
    }

    /// A sync ended, in line or not.
    func record(_ report: SyncReport) async {
        lastReport = report
        if report.succeeded { appliedGeneration = max(appliedGeneration, report.generation) }
        await writeFile()
        changed.notify()
    }

    /// The heartbeat's report: what is applied and held, the last sync and its failures.
    func heartbeat(version: String) async -> StatusReport {
        let held = (lastReport?.artifacts ?? []).filter { $0.outcome != .missing }.compactMap {
            $0.digest.flatMap { try? Digest($0) }
        }
        let cached = ((try? await store.allManifests()) ?? []).filter { isCached($0.repository) }.compactMap {
            try? Digest($0.digest)
        }
        let site = site()
        return StatusReport(
            generation: appliedGeneration, inventory: Array(Set(held)).sorted(),
            cached: cached.isEmpty ? nil : Array(Set(cached)).sorted(),
            diskUsedBytes: try? await store.totalBlobBytes(), diskFreeBytes: store.diskCapacity()?.free,
            lastSync: lastReport.map { report in
                let failures = report.failures
                return SyncResult(
                    succeeded: report.succeeded, finishedAt: report.finishedAt, durationSeconds: report.durationSeconds,
                    error: stateError ?? failures.first.map { "\($0.reference): \($0.message)" },
                    failures: failures.isEmpty ? nil : failures)
            },
            version: version, advertisedURL: site.advertised, transfer: site.transfer, link: link(),
            meter: meter(), demand: demand())
    }

    private func writeFile() async {
        let tags = (try? await store.allTags()) ?? []
        let status = SatelliteStatus(
            updatedAt: Date(), stateSource: stateSource, stateError: stateError, revoked: revokedReason,
            lastSync: lastReport,
            transfer: site().transfer, link: link(), meter: meter(),
            inventory: tags.map {
                .init(
                    repository: $0.repository, tag: $0.tag, digest: $0.digest,
                    cached: isCached($0.repository) ? true : nil)
            })
        do {
            try status.write(to: dataDirectory)
        } catch {
            logger.error("cannot write status.json", metadata: ["error": "\(error)"])
        }
    }
}
