import DurableFiles
import Foundation
import Logging
import OCI
import Replication
import SatelliteProtocol
import StateContent
import Synchronization
import ZoneInfo

/// The sync windows the state gives: when the satellite may use its upstream links, for its
/// syncs and for pull-through misses, and a one-off window an admin opened (`sync-now`).
///
/// Consulted before every upstream request (through `UpstreamLink`); peers at the site are not
/// upstreams and stay usable. Outside the windows a sync takes what the peers hold and keeps the
/// rest as it was; a miss is a 404 saying when the windows open, or is fetched when the state
/// says `allow`. A group's windows hold back its artifacts' repositories besides.
package final class LinkWindows: SyncObserver, Sendable {
    private struct Current {
        var link = SyncSchedule.always
        var allowsMisses = false
        /// `upstream/repository` of artifacts whose groups all have windows.
        var groups: [String: SyncSchedule] = [:]
        var syncNow: String?
        var syncNowOpen = false
        var restricted = false
        var problems: [String] = []
    }

    private let zones: ZoneDatabase
    private let usedFile: String
    private let clock: @Sendable () -> Int64
    private let logger: Logger
    private let current = Mutex(Current())

    package init(
        zones: ZoneDatabase = .system(), directory: DataDirectory, logger: Logger,
        clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        self.zones = zones
        usedFile = directory.syncNowUsed
        self.clock = clock
        self.logger = logger
    }

    package func accepted(_ state: DesiredState) async {
        let link = SyncSchedule(state.syncWindows?.windows ?? [], zones: zones)
        var windowsByRepository: [String: [String]?] = [:]
        for artifact in state.artifacts {
            let key = Self.key(artifact.upstream, artifact.repository)
            // Content two groups name may come whenever either allows it.
            let windows: [String]? = artifact.syncWindows.flatMap { $0.isEmpty ? nil : $0 }
            switch windowsByRepository[key] {
            case nil: windowsByRepository[key] = .some(windows)
            case .some(let held?): windowsByRepository[key] = windows.map { held + $0 }
            case .some(nil): break
            }
        }
        var groups: [String: SyncSchedule] = [:]
        for (key, windows) in windowsByRepository {
            if let windows { groups[key] = SyncSchedule(windows, zones: zones) }
        }
        let problems = link.problems + Set(groups.values.flatMap(\.problems)).sorted()
        for problem in problems { logger.warning("\(problem)") }
        let used = try? String(contentsOfFile: usedFile, encoding: .utf8)
        let opens = state.syncNow != nil && state.syncNow != used
        current.withLock { current in
            let reopened = opens && current.syncNow != state.syncNow
            current = Current(
                link: link, allowsMisses: state.syncWindows?.allowsMisses ?? false, groups: groups,
                syncNow: state.syncNow, syncNowOpen: reopened || (opens && current.syncNowOpen),
                restricted: link.isRestricted || !groups.isEmpty, problems: problems)
        }
        if opens { logger.info("a one-off sync window is open for the next sync") }
    }

    package func synced(_ state: DesiredState) async {
        let used = current.withLock { current -> String? in
            guard current.syncNowOpen else { return nil }
            current.syncNowOpen = false
            return current.syncNow
        }
        guard let used else { return }
        do {
            try DurableFile.write(Data(used.utf8), to: usedFile, mode: .created(0o600))
        } catch {
            // Used again after a restart at worst: one more sync.
            logger.warning("cannot note the one-off window as used", metadata: ["error": "\(error)"])
        }
    }

    package func admit(_ use: UpstreamUse, upstream: String, repository: RepositoryName) throws(UpstreamClosed) {
        let now = clock()
        let refusal = current.withLock { current -> String? in
            guard current.restricted, !current.syncNowOpen else { return nil }
            if !current.link.isOpen(at: now) {
                if use == .pullThrough && current.allowsMisses { return nil }
                return Self.closed("the satellite's sync windows", current.link, now)
            }
            if use == .sync, let group = current.groups[Self.key(upstream, repository)], !group.isOpen(at: now) {
                return Self.closed("its group's sync windows", group, now)
            }
            return nil
        }
        if let refusal { throw UpstreamClosed(.outsideSyncWindow, refusal) }
    }

    /// How long until a closed window opens; nil when none is closed or none will open.
    package func untilNextOpening() -> Duration? {
        let now = clock()
        let opening = current.withLock { current -> Int64? in
            guard current.restricted, !current.syncNowOpen else { return nil }
            let closed = [current.link] + current.groups.values
            return closed.filter { !$0.isOpen(at: now) }.compactMap { $0.nextChange(after: now) }.min()
        }
        return opening.map { .seconds(max($0 - now, 1)) }
    }

    /// What the heartbeat says of the link; nil when the state sets no windows.
    package func report() -> LinkReport? {
        let now = clock()
        return current.withLock { current in
            guard current.restricted || current.syncNowOpen else { return nil }
            let change = current.link.nextChange(after: now).map { Date(timeIntervalSince1970: Double($0)) }
            return LinkReport(
                windowOpen: current.syncNowOpen || current.link.isOpen(at: now), windowChangesAt: change,
                syncNowOpen: current.syncNowOpen ? true : nil,
                problems: current.problems.isEmpty ? nil : current.problems)
        }
    }

    private static func key(_ upstream: String, _ repository: RepositoryName) -> String {
        "\(upstream)/\(repository)"
    }

    private static func closed(_ whose: String, _ schedule: SyncSchedule, _ now: Int64) -> String {
        let opening = schedule.nextChange(after: now).map {
            "; they open at \(Date(timeIntervalSince1970: Double($0)).formatted(.iso8601))"
        }
        return "upstreams are not used outside \(whose)" + (opening ?? " (none of them opens here)")
    }
}
