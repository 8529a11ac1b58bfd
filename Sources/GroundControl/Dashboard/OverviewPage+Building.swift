import Foundation
import SatelliteProtocol

extension OverviewPage {
    /// What the overview's query asks for: `q` (part of the name), `state`, `group`, `site`, and
    /// `sort` (a column key, `-` in front for descending).
    struct Query {
        var q = ""
        var state = ""
        var group = ""
        var site = ""
        var sort = "name"

        static let sortKeys = ["name", "state", "site", "seen"]

        init(_ parameters: [String: String]) {
            q = String((parameters["q"] ?? "").prefix(100))
            state = parameters["state"] ?? ""
            group = parameters["group"] ?? ""
            site = parameters["site"] ?? ""
            let sort = parameters["sort"] ?? "name"
            self.sort = Self.sortKeys.contains(sort.hasPrefix("-") ? String(sort.dropFirst()) : sort) ? sort : "name"
        }

        func matches(_ satellite: SatelliteView) -> Bool {
            (q.isEmpty || satellite.name.localizedCaseInsensitiveContains(q))
                && (state.isEmpty || satellite.state == state)
                && (group.isEmpty || satellite.groups.contains(group))
                && (site.isEmpty || (satellite.site ?? "") == site)
        }

        /// The query string with `changes` applied; empty values left out.
        func string(_ changes: [String: String] = [:]) -> String {
            var values = ["q": q, "state": state, "group": group, "site": site, "sort": sort == "name" ? "" : sort]
            values.merge(changes) { $1 }
            var components = URLComponents()
            components.queryItems = values.keys.sorted().compactMap { key in
                guard let value = values[key], !value.isEmpty else { return nil }
                return URLQueryItem(name: key, value: value)
            }
            return components.percentEncodedQuery.map { "?" + $0 } ?? ""
        }
    }

    static let states = ["online", "stale", "pending", "revoked"]

    init(frame: PageFrame, satellites: [SatelliteView], groups: [String], query: Query, now: Date) {
        self.frame = frame
        let sites = Set(satellites.compactMap(\.site)).sorted()
        filter = Filter(
            q: query.q, sort: query.sort,
            states: Self.states.map { Choice(value: $0, selected: $0 == query.state) },
            groups: groups.map { Choice(value: $0, selected: $0 == query.group) },
            sites: sites.map { Choice(value: $0, selected: $0 == query.site) })
        fleet = Self.fleet(satellites, query: query, now: now)
        liveURL = "/" + query.string(["fragment": "fleet"])
    }

    static func fleet(_ satellites: [SatelliteView], query: Query, now: Date) -> Fleet {
        let shown = sorted(satellites.filter(query.matches), by: query.sort)
        let transfers = satellites.compactMap(\.transfer)
        let fromPeers = transfers.reduce(Int64(0)) { $0 + $1.fromPeersBytes }
        let fromUpstreams = transfers.reduce(Int64(0)) { $0 + $1.fromUpstreamBytes }
        let columns: [(String, String?)] = [
            ("Name", "name"), ("State", "state"), ("Site", "site"), ("Groups", nil), ("Generation", nil), ("Failed", nil), ("Last seen", "seen"),
        ]
        return Fleet(
            counts: states.map { state in
                StateCount(state: state, count: satellites.count { $0.state == state }, href: "/" + query.string(["state": state]))
            },
            behind: satellites.count { $0.drift.behind },
            failing: satellites.count { $0.lastSync?.failed ?? false },
            synced: DashboardFormat.bytes(fromPeers + fromUpstreams),
            fromPeers: DashboardFormat.bytes(fromPeers),
            columns: columns.map { label, key in
                guard let key else { return Column(label: label, href: nil, arrow: "") }
                let current = query.sort == key || query.sort == "-" + key
                let next = query.sort == key ? "-" + key : key
                return Column(
                    label: label, href: "/" + query.string(["sort": next]),
                    arrow: current ? (query.sort.hasPrefix("-") ? " ↓" : " ↑") : "")
            },
            rows: shown.map { row($0, now: now) },
            shown: shown.count, total: satellites.count,
            asOf: DashboardFormat.timestamp(now))
    }

    static func row(_ satellite: SatelliteView, now: Date) -> Row {
        let failures = satellite.lastSync?.failures?.count ?? 0
        let failed: String? = switch (failures, satellite.lastSync?.succeeded) {
        case (0, false): "sync failed"
        case (0, _): nil
        default: "\(failures) failed"
        }
        return Row(
            name: satellite.name, state: satellite.state, site: satellite.site ?? "—", groups: satellite.groups.joined(separator: ", "),
            generation: "\(satellite.appliedGeneration.map(String.init) ?? "—") / \(satellite.desiredGeneration)",
            behind: satellite.drift.behind, failed: failed,
            lastSeen: DashboardFormat.ago(satellite.lastSeen, now: now), lastSeenAt: DashboardFormat.timestamp(satellite.lastSeen))
    }

    static func sorted(_ satellites: [SatelliteView], by sort: String) -> [SatelliteView] {
        let descending = sort.hasPrefix("-")
        let key = descending ? String(sort.dropFirst()) : sort
        let ascending: [SatelliteView] = satellites.sorted { a, b in
            switch key {
            case "state": (a.state, a.name) < (b.state, b.name)
            case "site": (a.site ?? "", a.name) < (b.site ?? "", b.name)
            // Longest unseen first reads as "who is in trouble"; never seen sorts first.
            case "seen": (a.lastSeen ?? .distantPast, a.name) < (b.lastSeen ?? .distantPast, b.name)
            default: a.name < b.name
            }
        }
        return descending ? ascending.reversed() : ascending
    }
}
