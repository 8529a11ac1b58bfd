import FleetAPI
import Foundation
import OCI
import SatelliteProtocol

/// The fleet's demand: what satellites reported devices asked for and they did not hold, summed
/// per registry, repository and tag or digest, with the groups that name each.
public enum FleetDemand {
    /// - Parameters:
    ///   - views: every satellite's view (its last report's demand).
    ///   - groups: every group, to tell what some group already names.
    ///   - includeGrouped: list what a group names too (by default only what none does).
    ///   - limit: at most this many entries, asked for most first.
    public static func list(
        views: [SatelliteView], groups: [GroupView], includeGrouped: Bool = false, limit: Int = 500
    ) -> DemandList {
        let naming = GroupIndex(groups)
        var sums: [Key: Sum] = [:]
        var reporting = 0
        for view in views {
            guard let entries = view.demand?.entries, !entries.isEmpty else { continue }
            reporting += 1
            for entry in entries {
                sums[Key(entry), default: Sum(entry)].add(entry, from: view.name)
            }
        }
        var entries: [FleetDemandEntry] = []
        for (key, sum) in sums {
            let named = naming.groups(naming: key)
            guard includeGrouped || named.isEmpty else { continue }
            entries.append(sum.entry(key, groups: named))
        }
        entries.sort { ($0.requests, $0.lastAskedAt, $0.artifact) > ($1.requests, $1.lastAskedAt, $1.artifact) }
        let omitted = max(0, entries.count - limit)
        return DemandList(
            entries: Array(entries.prefix(limit)), satellitesReporting: reporting, omitted: omitted > 0 ? omitted : nil)
    }

    struct Key: Hashable {
        let registry: String?
        let host: String?
        let repository: String
        let tag: String?
        let digest: String?

        init(_ entry: DemandEntry) {
            registry = entry.upstream
            host = entry.host
            repository = entry.repository
            tag = entry.tag
            digest = entry.digest
        }
    }

    struct Sum {
        var misses: Int64 = 0
        var denied: Int64 = 0
        var notFound: Int64 = 0
        var lastAskedAt: Date
        var satellites: [String] = []

        init(_ first: DemandEntry) {
            lastAskedAt = first.lastAskedAt
        }

        mutating func add(_ entry: DemandEntry, from satellite: String) {
            misses = Self.sum(misses, entry.misses)
            denied = Self.sum(denied, entry.denied)
            notFound = Self.sum(notFound, entry.notFound)
            lastAskedAt = max(lastAskedAt, entry.lastAskedAt)
            satellites.append(satellite)
        }

        func entry(_ key: Key, groups: [String]) -> FleetDemandEntry {
            let names = satellites.sorted()
            return FleetDemandEntry(
                registry: key.registry, host: key.host, repository: key.repository, tag: key.tag, digest: key.digest,
                misses: misses, denied: denied, notFound: notFound, lastAskedAt: lastAskedAt,
                satelliteCount: names.count, satellites: Array(names.prefix(20)), groups: groups)
        }

        /// Counts are bounded per report; summed over a large fleet they stop at the maximum.
        private static func sum(_ first: Int64, _ second: Int64) -> Int64 {
            let (total, overflow) = first.addingReportingOverflow(second)
            return overflow ? .max : total
        }
    }

    /// Which groups name a repository with a tag or digest, as their members' states list it.
    struct GroupIndex {
        private var named: [String: Set<String>] = [:]

        init(_ groups: [GroupView]) {
            for group in groups {
                for artifact in group.artifacts {
                    for entry in FleetConfiguration.stateArtifacts(of: artifact, upstream: group.registry) {
                        let repository = entry.repository.value
                        for reference in [entry.tag?.value, entry.digest?.string].compactMap({ $0 }) {
                            named[Self.key(group.registry, repository, reference), default: []].insert(group.name)
                            named[Self.key(nil, repository, reference), default: []].insert(group.name)
                        }
                    }
                }
            }
        }

        /// Groups on the entry's registry (on any, when it resolved to none) that name it.
        func groups(naming key: Key) -> [String] {
            guard key.host == nil, let reference = key.tag ?? key.digest else { return [] }
            return (named[Self.key(key.registry, key.repository, reference)] ?? []).sorted()
        }

        private static func key(_ registry: String?, _ repository: String, _ reference: String) -> String {
            "\(registry ?? "*")\u{0}\(repository)\u{0}\(reference)"
        }
    }
}
