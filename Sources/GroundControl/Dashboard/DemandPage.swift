import FleetAPI
import Foundation

/// `/demand`: what devices asked for that their satellites did not hold, summed over the fleet,
/// with a form per entry that adds it to a group on its registry.
struct DemandPage {
    struct Row {
        let id: String
        let registry: String
        let artifact: String
        let repository: String
        let tag: String
        let digest: String
        let requests: Int64
        let misses: Int64
        let denied: Int64
        let notFound: Int64
        let satellites: String
        let lastAsked: String
        let lastAskedAt: String
        let groups: String
        /// Groups it may be added to: those on its registry (any, when it resolved to none).
        let targets: [Choice]
        let hasTargets: Bool
        /// The registry the addition names, so that a group on another is refused.
        let registryField: String
    }

    let frame: PageFrame
    let rows: [Row]
    let all: Bool
    let toggleURL: String
    let toggleLabel: String
    let summary: String

    init(frame: PageFrame, list: DemandList, groups: [GroupView], all: Bool, now: Date) {
        self.frame = frame
        self.all = all
        toggleURL = all ? "/demand" : "/demand?all=true"
        toggleLabel = all ? "Only what no group names" : "Also what groups name"
        let entries = list.entries.count + (list.omitted ?? 0)
        summary = "\(entries) asked for by devices of \(list.satellitesReporting) satellite(s)"
        rows = list.entries.enumerated().map { index, entry in
            let targets = groups.filter { group in
                entry.host == nil && (entry.registry.map { $0 == group.registry } ?? true)
                    && !entry.groups.contains(group.name)
            }.map { Choice(value: $0.name, selected: false) }
            let more = entry.satelliteCount > entry.satellites.count ? ", …" : ""
            return Row(
                id: "demand-\(index)", registry: entry.registry ?? entry.host.map { "(\($0))" } ?? "—",
                artifact: entry.artifact, repository: entry.repository, tag: entry.tag ?? "",
                digest: entry.digest ?? "", requests: entry.requests, misses: entry.misses, denied: entry.denied,
                notFound: entry.notFound,
                satellites: "\(entry.satelliteCount): " + entry.satellites.joined(separator: ", ") + more,
                lastAsked: DashboardFormat.ago(entry.lastAskedAt, now: now),
                lastAskedAt: DashboardFormat.timestamp(entry.lastAskedAt),
                groups: entry.groups.isEmpty ? "none" : entry.groups.joined(separator: ", "), targets: targets,
                hasTargets: !targets.isEmpty, registryField: entry.registry ?? "")
        }
    }
}
