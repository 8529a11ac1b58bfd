import Foundation

/// The same pages as the SQL store's, worked out over the tables.
extension InMemorySatelliteRepository {
    func page(_ query: SatelliteQuery, now: Int64) async throws -> (names: [String], total: Int) {
        let at = Fleet.date(now)
        let part = query.nameContains?.lowercased() ?? ""
        let matching = transaction.read { tables in
            tables.satellites.values.filter { satellite in
                (part.isEmpty || satellite.name.lowercased().contains(part))
                    && (query.state.map { satellite.record.state(now: at) == $0 } ?? true)
                    && (query.group.map { satellite.groups.contains($0) } ?? true)
                    && (query.site.map { satellite.site == $0 } ?? true)
            }.map(\.record)
        }
        func key(_ record: SatelliteRecord) -> (String, Int64) {
            switch query.sort {
            case .name: ("", 0)
            case .state: (record.state(now: at), 0)
            case .site: (record.site ?? "", 0)
            case .seen: ("", record.lastHeard(now: at) ?? -1)
            }
        }
        let ordered = matching.sorted { a, b in
            let (x, y) = (key(a), key(b))
            return query.descending ? (y.0, y.1, b.name) < (x.0, x.1, a.name) : (x.0, x.1, a.name) < (y.0, y.1, b.name)
        }
        return (ordered.dropFirst(query.offset).prefix(query.pageSize).map(\.name), matching.count)
    }

    func countByState(now: Int64) async throws -> [String: Int] {
        let at = Fleet.date(now)
        return transaction.read { tables in
            Dictionary(tables.satellites.values.map { ($0.record.state(now: at), 1) }, uniquingKeysWith: +)
        }
    }
}
