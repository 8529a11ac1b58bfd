import FleetAPI
import FleetDomain
import Foundation
import HTTPTypes
import Hummingbird

/// `GET /api/v1/satellites` in pages, as Harbor's lists are: `page` and `page_size`, the filters
/// `name` (part of it), `state`, `group` and `site`, and `sort` (`name`, `state`, `site` or
/// `seen`, `-` first for the other way); the count of all that match in `X-Total-Count`, the
/// neighbouring pages in `Link`. Without any of them the whole fleet, as before.
extension GroundControlAPI {
    static let pageParameters = ["page", "page_size", "name", "state", "group", "site", "sort"]

    /// The page asked for, or nil when the request asks for no page (the whole list).
    static func satelliteQuery(_ parameters: [String: String]) throws(GroundControlError) -> SatelliteQuery? {
        guard pageParameters.contains(where: { parameters[$0] != nil }) else { return nil }
        var query = SatelliteQuery()
        query.page = try integer(parameters["page"], field: "page", range: 1...Int(Int32.max)) ?? 1
        query.pageSize =
            try integer(parameters["page_size"], field: "page_size", range: 1...SatelliteQuery.largestPage) ?? 100
        query.nameContains = parameters["name"].flatMap { $0.isEmpty ? nil : $0 }
        query.state = parameters["state"].flatMap { $0.isEmpty ? nil : $0 }
        query.group = parameters["group"].flatMap { $0.isEmpty ? nil : $0 }
        query.site = parameters["site"].flatMap { $0.isEmpty ? nil : $0 }
        if let raw = parameters["sort"], !raw.isEmpty {
            let descending = raw.hasPrefix("-")
            guard let sort = SatelliteQuery.Sort(rawValue: descending ? String(raw.dropFirst()) : raw) else {
                throw GroundControlError(
                    .invalidField,
                    "sort: one of \(SatelliteQuery.Sort.allCases.map(\.rawValue).joined(separator: ", ")), "
                        + "with - first for the other way, not '\(raw.prefix(40))'")
            }
            (query.sort, query.descending) = (sort, descending)
        }
        return try query.validated()
    }

    /// The page as JSON, with the count of all that match and links to the pages beside it.
    static func pageResponse(_ page: SatelliteListPage, query: SatelliteQuery, path: String) throws -> Response {
        var headers: HTTPFields = [totalCount: "\(page.total)"]
        var links: [String] = []
        if query.page > 1 {
            let previous = min(query.page - 1, max(1, (page.total + query.pageSize - 1) / query.pageSize))
            links.append("<\(pageURL(path, query, page: previous))>; rel=\"prev\"")
        }
        if query.page * query.pageSize < page.total {
            links.append("<\(pageURL(path, query, page: query.page + 1))>; rel=\"next\"")
        }
        if !links.isEmpty { headers[link] = links.joined(separator: ", ") }
        return try APIBody.json(page.satellites, headers: headers)
    }

    private static func pageURL(_ path: String, _ query: SatelliteQuery, page: Int) -> String {
        var components = URLComponents()
        components.path = path
        let values: [(String, String?)] = [
            ("page", "\(page)"), ("page_size", "\(query.pageSize)"), ("name", query.nameContains),
            ("state", query.state), ("group", query.group), ("site", query.site),
            (
                "sort",
                query.sort == .name && !query.descending ? nil : (query.descending ? "-" : "") + query.sort.rawValue
            ),
        ]
        components.queryItems = values.compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
        return components.string ?? path
    }

    static let totalCount = HTTPField.Name("X-Total-Count")!
    static let link = HTTPField.Name("Link")!
}
