import FleetAPI
import Foundation
import GroundControlClient
import SatelliteProtocol
import Testing

extension APITests {
    /// `GET /api/v1/satellites` in pages (Harbor's `page` and `page_size`, filters and `sort`),
    /// with `X-Total-Count` and `Link`; `GET /api/v1/fleet` counts by state. Without page
    /// parameters the list is the whole fleet, as before.
    @Test func theSatelliteListComesInPagesWithCountsAndLinks() async throws {
        try await APIHarness.run { api in
            _ = try await api.seedRegisteredSatellite()
            let batch = SatelliteBatch(
                satellites: (0..<250).map { SatelliteDefinition(name: String(format: "b%03d", $0), groups: ["edge"]) })
            let body = String(decoding: try APIJSON.encoder().encode(batch), as: UTF8.self)
            #expect(try await api.admin("POST", "/api/v1/satellites/batch", json: body).status == 201)
            let people = try await api.viewerAndOperatorTokens(password: "a long enough password")
            func list(_ query: String) async throws -> (names: [String], total: String?, link: String?) {
                let reply = try await api.send("GET", "/api/v1/satellites?" + query, token: people.viewer)
                #expect(reply.status == 200, "\(query): \(reply.errorMessage)")
                return (
                    try reply.decode([SatelliteView].self).map(\.name), reply.headers["x-total-count"],
                    reply.headers["link"]
                )
            }

            let first = try await list("page_size=100")
            #expect(first.names.count == 100 && first.names.first == "b000" && first.total == "251")
            #expect(first.link == #"</api/v1/satellites?page=2&page_size=100>; rel="next""#, "\(first.link ?? "")")
            let last = try await list("page=3&page_size=100")
            #expect(last.names.count == 51 && last.names.last == "s1")
            #expect(last.link == #"</api/v1/satellites?page=2&page_size=100>; rel="prev""#, "\(last.link ?? "")")
            let filtered = try await list("state=pending&name=B2&sort=-name&page_size=10&page=2")
            #expect(filtered.total == "50" && filtered.names.first == "b239", "\(filtered)")
            #expect(filtered.link?.contains("state=pending") == true && filtered.link?.contains("sort=-name") == true)
            #expect(try await list("state=online").names == ["s1"])
            #expect(try await list("group=nothing").total == "0")
            // Without page parameters, the whole fleet.
            let all = try await api.send("GET", "/api/v1/satellites", token: people.viewer)
            #expect(try all.decode([SatelliteView].self).count == 251 && all.headers["x-total-count"] == nil)

            for bad in ["page=0", "page_size=1001", "page_size=x", "state=lost", "sort=age", "sort=--name"] {
                let refused = try await api.send("GET", "/api/v1/satellites?" + bad, token: people.viewer)
                #expect(refused.status == 400 && refused.error?.code == "FIELD_INVALID", "\(bad): \(refused.status)")
            }
            #expect(try await api.send("GET", "/api/v1/satellites?page=1").status == 401)

            let summary = try await api.send("GET", "/api/v1/fleet", token: people.viewer).decode(FleetSummary.self)
            #expect(
                summary
                    == FleetSummary(satellites: 251, byState: ["online": 1, "pending": 250, "stale": 0, "revoked": 0]))
            #expect(try await api.send("GET", "/api/v1/fleet").status == 401)
        }
    }
}
