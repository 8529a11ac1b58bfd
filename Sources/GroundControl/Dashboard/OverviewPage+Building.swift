import FleetAPI
import FleetDomain
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
        /// 1-based; a page past the last shows the last.
        var page = 1

        static let sortKeys = ["name", "state", "site", "seen"]
        /// Rows a page shows: what a person reads, and a bound on what one viewer's refresh
        /// costs, however large the fleet.
        static let pageSize = 100

        init(_ parameters: [String: String]) {
            q = String((parameters["q"] ?? "").prefix(100))
            state = parameters["state"] ?? ""
            group = parameters["group"] ?? ""
            site = parameters["site"] ?? ""
            let sort = parameters["sort"] ?? "name"
            self.sort = Self.sortKeys.contains(sort.hasPrefix("-") ? String(sort.dropFirst()) : sort) ? sort : "name"
            page = parameters["page"].flatMap { Int($0.prefix(9)) }.map { max(1, $0) } ?? 1
        }

        func matches(_ satellite: SatelliteView) -> Bool {
            (q.isEmpty || satellite.name.localizedCaseInsensitiveContains(q))
                && (state.isEmpty || satellite.state == state)
                && (group.isEmpty || satellite.groups.contains(group))
                && (site.isEmpty || (satellite.site ?? "") == site)
        }

        /// The query string with `changes` applied; empty values left out.
        func string(_ changes: [String: String] = [:]) -> String {
            var values = [
                "q": q, "state": state, "group": group, "site": site, "sort": sort == "name" ? "" : sort,
                "page": page == 1 ? "" : "\(page)",
            ]
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
        let matching = sorted(satellites.filter(query.matches), by: query.sort)
        let pages = max(1, (matching.count + Query.pageSize - 1) / Query.pageSize)
        let page = min(query.page, pages)
        let shown = matching.dropFirst((page - 1) * Query.pageSize).prefix(Query.pageSize)
        let transfers = satellites.compactMap(\.transfer)
        let fromPeers = transfers.reduce(Int64(0)) { $0 + $1.fromPeersBytes }
        let fromUpstreams = transfers.reduce(Int64(0)) { $0 + $1.fromUpstreamBytes }
        let columns: [(String, String?)] = [
            ("Name", "name"), ("State", "state"), ("Site", "site"), ("Groups", nil), ("Generation", nil),
            ("Failed", nil), ("Last seen", "seen"),
        ]
        return Fleet(
            counts: states.map { state in
                StateCount(
                    state: state, count: satellites.count { $0.state == state },
                    href: "/" + query.string(["state": state, "page": ""]))
            },
            behind: satellites.count { $0.drift.behind },
            failing: satellites.count { $0.lastSync?.failed ?? false },
            synced: DashboardFormat.bytes(fromPeers + fromUpstreams),
            fromPeers: DashboardFormat.bytes(fromPeers),
            columns: columns.map { label, key in
                guard let key else { return Column(label: label, href: nil, arrow: "") }
                let current = query.sort == key || query.sort == "-" + key
                let next = query.sort == key ? "-" + key : key
                // A new order starts at its first page.
                return Column(
                    label: label, href: "/" + query.string(["sort": next, "page": ""]),
                    arrow: current ? (query.sort.hasPrefix("-") ? " ↓" : " ↑") : "")
            },
            rows: shown.map { row($0, now: now) },
            shown: matching.count, total: satellites.count,
            from: matching.isEmpty ? 0 : (page - 1) * Query.pageSize + 1, to: (page - 1) * Query.pageSize + shown.count,
            previous: page > 1 ? "/" + query.string(["page": page == 2 ? "" : "\(page - 1)"]) : nil,
            next: page < pages ? "/" + query.string(["page": "\(page + 1)"]) : nil,
            asOf: DashboardFormat.timestamp(now))
    }

    static func row(_ satellite: SatelliteView, now: Date) -> Row {
        let failures = satellite.lastSync?.failures?.count ?? 0
        let failed: String? =
            switch (failures, satellite.lastSync?.succeeded) {
            case (0, false): "sync failed"
            case (0, _): nil
            default: "\(failures) failed"
            }
        return Row(
            name: satellite.name, state: satellite.state, site: satellite.site ?? "—",
            groups: satellite.groups.joined(separator: ", "),
            generation: "\(satellite.appliedGeneration.map(String.init) ?? "—") / \(satellite.desiredGeneration)",
            behind: satellite.drift.behind, failed: failed,
            lastSeen: DashboardFormat.ago(satellite.lastSeen, now: now),
            lastSeenAt: DashboardFormat.timestamp(satellite.lastSeen))
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
