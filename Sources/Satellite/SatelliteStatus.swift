import DurableFiles
import Foundation
import Replication
import SatelliteProtocol
import StateContent

/// What `satellite status` shows: the agent's `StatusSnapshot` as written to `status.json` in the
/// data directory after every sync and every change of state.
public struct SatelliteStatus: Codable, Sendable {
    public struct Tagged: Codable, Sendable, Equatable {
        public var repository: String
        public var tag: String
        public var digest: String
        /// Pulled through by a client rather than named by the state (absent: pinned).
        public var cached: Bool?
    }

    public var updatedAt: Date
    public var stateSource: String
    /// Why the current state file was refused, if it was; the last good state is still applied.
    public var stateError: String?
    /// Why the satellite no longer follows a desired state (Ground Control revoked it); it keeps
    /// serving what it holds.
    public var revoked: String?
    public var lastSync: SyncReport?
    /// Bytes from the site's peers, from upstreams, and to peers, since the agent started
    /// (absent: no site).
    public var transfer: TransferCounts?
    /// The sync windows: open or not, until when (absent: the state sets none).
    public var link: LinkReport?
    /// Upstream bytes per day and against each budget.
    public var meter: MeterReport?
    /// What devices asked for that was not held, from `demand.json` (kept apart: it changes
    /// between syncs).
    public var demand: DemandReport?
    public var inventory: [Tagged]

    static func path(in dataDirectory: DataDirectory) -> String { dataDirectory.status }

    /// Replaces the file whole: a reader never sees half of it, a crash leaves the old one.
    func write(to dataDirectory: DataDirectory) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try DurableFile.write(try encoder.encode(self), to: Self.path(in: dataDirectory), mode: .created(0o644))
    }

    /// Reads the status a running or stopped agent left in `dataDirectory`.
    public static func read(from dataDirectory: DataDirectory) throws -> SatelliteStatus {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        var status = try decoder.decode(
            SatelliteStatus.self, from: Data(contentsOf: URL(fileURLWithPath: path(in: dataDirectory))))
        status.demand = DemandRecorder.report(in: dataDirectory)
        return status
    }

    /// The human-readable report `satellite status` prints.
    public var text: String {
        var lines: [String] = []
        if let sync = lastSync {
            let synced = sync.artifacts.filter { $0.outcome == .synced }.count
            lines.append(
                "last sync: \(ISO8601DateFormatter().string(from: sync.finishedAt)), generation \(sync.generation), "
                    + "\(synced)/\(sync.artifacts.count) artifacts synced in "
                    + "\(String(format: "%.2f", sync.durationSeconds)) s; "
                        + """
                        fetched \(sync.manifestsFetched) manifests, \(sync.blobsFetched) blobs, \(sync.bytesFetched) \
                        bytes
                        """
            )
        } else {
            lines.append("last sync: none yet")
        }
        if let transfer {
            lines.append(
                "site: \(transfer.fromPeersBytes) bytes from peers, \(transfer.fromUpstreamBytes) from upstreams, "
                    + "\(transfer.toPeersBytes) sent to peers since start")
        }
        if let link {
            let until = link.windowChangesAt.map { " until \(ISO8601DateFormatter().string(from: $0))" } ?? ""
            let oneOff = link.syncNowOpen == true ? " (a one-off window, for the next sync)" : ""
            lines.append("sync window: " + (link.windowOpen ? "open" : "closed") + until + oneOff)
            for problem in link.problems ?? [] { lines.append("  \(problem)") }
        }
        for use in meter?.budgets ?? [] {
            lines.append(
                "upstream budget \(use.budget): \(ByteSize.show(use.usedBytes)) used in \(use.period)"
                    + (use.exhausted ? " (budget exhausted: fetches past it wait for the next period)" : ""))
        }
        if let over = meter?.overBudgetBytes {
            lines.append("  critical artifacts took \(ByteSize.show(over)) past the budget this month")
        }
        for problem in meter?.problems ?? [] { lines.append("  \(problem)") }
        if let revoked {
            lines.append("REVOKED: \(revoked)")
        }
        lines.append(
            "state: \(stateSource)" + (stateError.map { " (refused: \($0); applying the last good state)" } ?? ""))
        lines.append("inventory (\(inventory.count) tags):")
        for item in inventory {
            lines.append(
                "  \(item.repository):\(item.tag)  \(item.digest)" + (item.cached == true ? "  (pulled through)" : ""))
        }
        if let demand {
            lines.append("asked for but not held (\(demand.entries.count + (demand.omitted ?? 0))):")
            for entry in demand.entries {
                lines.append(
                    "  \(entry.reference)  \(entry.misses) pull-through misses, \(entry.denied) denied, "
                        + "\(entry.notFound) not found; last \(ISO8601DateFormatter().string(from: entry.lastAskedAt))")
            }
        }
        let problems = lastSync?.artifacts.filter { $0.outcome != .synced } ?? []
        lines.append("missing or stale (\(problems.count)):")
        for problem in problems {
            let held = problem.digest.map { "serving \($0)" } ?? "not held"
            let reason = problem.reason.map { "[\($0)] " } ?? ""
            let upstream = problem.upstream.map { "\($0): " } ?? ""
            lines.append(
                "  \(upstream)\(problem.reference)  \(problem.outcome.rawValue), \(held): "
                    + "\(reason)\(problem.error ?? "")")
        }
        return lines.joined(separator: "\n")
    }
}
