import FleetAPI
import FleetDomain
import Foundation
import OCI
import SatelliteProtocol

extension SatellitePage {
    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    init(frame: PageFrame, satellite: SatelliteView, groups: [String], now: Date) {
        self.frame = frame
        name = satellite.name
        status = Self.status(satellite, now: now)
        liveURL = "/satellites/\(satellite.name)?fragment=status"
        labels = satellite.labels.sorted { $0.key < $1.key }.map { Fact(label: $0.key, value: $0.value, title: "") }
        self.groups = satellite.groups.map {
            Membership(name: $0, removeURL: "/api/v1/satellites/\(satellite.name)/groups/\($0)")
        }
        otherGroups = groups.filter { !satellite.groups.contains($0) }.map { Choice(value: $0, selected: false) }
        hasOtherGroups = !otherGroups.isEmpty
        hasLabels = !labels.isEmpty
        let settings = satellite.settings
        self.settings = SatelliteSettingsForm(
            syncIntervalSeconds: settings.syncIntervalSeconds,
            heartbeatIntervalSeconds: settings.heartbeatIntervalSeconds,
            logLevels: Self.logLevels.map { Choice(value: $0, selected: $0 == settings.logLevel) },
            runtimes: (settings.runtimes ?? []).joined(separator: ", "),
            cacheMaxBytes: settings.cacheMaxBytes.map(String.init) ?? "")
        pending = satellite.state == "pending"
        revoked = satellite.state == "revoked"
        awaitingApproval = satellite.awaitingApproval == true
    }

    /// The part of the page that follows heartbeats (the live fragment).
    static func status(_ satellite: SatelliteView, now: Date) -> Status {
        var facts: [Fact] = [
            Fact(label: "Site", value: satellite.site ?? "—", title: ""),
            Fact(
                label: "Approval", value: satellite.awaitingApproval == true ? "awaits an admin" : "approved",
                title: satellite.awaitingApproval == true
                    ? """
                    Enrolled with an operator's token: no registry password or site credential until an admin \
                    approves it
                    """
                    : ""),
            Fact(label: "Desired generation", value: "\(satellite.desiredGeneration)", title: ""),
            Fact(
                label: "Applied generation", value: satellite.appliedGeneration.map(String.init) ?? "none yet",
                title: ""),
            Fact(
                label: "Last seen", value: DashboardFormat.ago(satellite.lastSeen, now: now),
                title: DashboardFormat.timestamp(satellite.lastSeen)),
            Fact(
                label: "Last sync", value: lastSync(satellite.lastSync, now: now),
                title: DashboardFormat.timestamp(satellite.lastSync?.finishedAt)),
            Fact(
                label: "Disk used / free",
                value:
                    """
                    \(DashboardFormat.bytes(satellite.diskUsedBytes)) / \
                    \(DashboardFormat.bytes(satellite.diskFreeBytes))
                    """,
                title: ""),
            Fact(label: "Version", value: satellite.version ?? "—", title: ""),
            Fact(
                label: "Registered", value: DashboardFormat.ago(satellite.registeredAt, now: now),
                title: DashboardFormat.timestamp(satellite.registeredAt)),
        ]
        if let cached = satellite.cachedManifests {
            facts.append(Fact(label: "Pulled through", value: "\(cached) manifests held", title: ""))
        }
        if let transfer = satellite.transfer {
            facts.append(
                Fact(
                    label: "Fetched from upstreams / peers",
                    value:
                        """
                        \(DashboardFormat.bytes(transfer.fromUpstreamBytes)) / \
                        \(DashboardFormat.bytes(transfer.fromPeersBytes))
                        """,
                    title: ""))
        }
        if let address = satellite.advertisedURL {
            facts.append(Fact(label: "Address for site peers", value: address, title: ""))
        }
        if let windows = satellite.settings.syncWindows {
            facts.append(Fact(label: "Sync windows", value: windows.joined(separator: "; "), title: ""))
        }
        for use in satellite.meter?.budgets ?? [] {
            let state = use.exhausted ? "exhausted: fetches past it wait for the next period" : "within it"
            facts.append(
                Fact(
                    label: "Upstream budget \(use.budget)",
                    value: "\(DashboardFormat.bytes(use.usedBytes)) used in \(use.period), \(state)", title: ""))
        }
        if let link = satellite.link {
            let state =
                link.syncNowOpen == true ? "open for one sync" : link.windowOpen ? "open" : "closed, upstreams not used"
            let until = link.windowChangesAt.map { " until \(DashboardFormat.timestamp($0))" } ?? ""
            let problems = (link.problems ?? []).joined(separator: "; ")
            facts.append(Fact(label: "Sync window", value: state + until, title: problems))
        }
        for robot in satellite.robots ?? [] {
            facts.append(
                Fact(
                    label: "Robot on \(robot.registry)",
                    value: "\(robot.name), expires \(DashboardFormat.within(robot.expiresAt, now: now))",
                    title: DashboardFormat.timestamp(robot.expiresAt)))
        }
        let failures = (satellite.lastSync?.failures ?? []).map {
            Failure(reference: $0.reference, reason: $0.reason.rawValue, message: $0.message)
        }
        let heldBack = (satellite.heldBack ?? []).map {
            HeldBack(
                artifact: $0.repository + ($0.tag.map { ":" + $0 } ?? ""),
                digest: DashboardFormat.short($0.digest.description), reason: $0.reason)
        }
        let asked = (satellite.demand?.entries ?? []).map {
            Asked(
                artifact: $0.reference, misses: $0.misses, denied: $0.denied, notFound: $0.notFound,
                lastAsked: DashboardFormat.ago($0.lastAskedAt, now: now),
                lastAskedAt: DashboardFormat.timestamp($0.lastAskedAt))
        }
        return Status(
            name: satellite.name, state: satellite.state, behind: satellite.drift.behind, facts: facts,
            failures: failures, missing: satellite.drift.missing, heldBack: heldBack, asked: asked,
            meterChart: satellite.meter.map { meterChart($0, now: now) }, asOf: DashboardFormat.timestamp(now),
            hasFailures: !failures.isEmpty, hasMissing: !satellite.drift.missing.isEmpty,
            hasHeldBack: !heldBack.isEmpty,
            hasAsked: !asked.isEmpty)
    }

    /// Upstream bytes per day over the 30 days up to today (UTC), days without traffic at zero.
    static func meterChart(_ meter: MeterReport, now: Date) -> SVGChart {
        let byDay = Dictionary(meter.days.map { ($0.day, $0.bytes) }) { first, _ in first }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let days = (0..<30).reversed().compactMap { back -> (name: String, value: Int64, title: String)? in
            guard let date = calendar.date(byAdding: .day, value: -back, to: now) else { return nil }
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            let day = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
            let bytes = byDay[day] ?? 0
            return (day, bytes, "\(day): \(DashboardFormat.bytes(bytes))")
        }
        let largest = days.map(\.value).max() ?? 0
        return SVGChart.columns(
            days, kind: "upstream", label: "Bytes fetched from upstreams on each of the last 30 days",
            largest: "largest day: \(DashboardFormat.bytes(largest))")
    }

    static func lastSync(_ sync: SyncResult?, now: Date) -> String {
        guard let sync else { return "none yet" }
        let when = DashboardFormat.ago(sync.finishedAt, now: now)
        let took = sync.durationSeconds.map { String(format: " in %.1f s", $0) } ?? ""
        if sync.succeeded { return "succeeded \(when)\(took)" }
        return "failed \(when)\(took)" + (sync.error.map { ": \($0)" } ?? "")
    }
}
