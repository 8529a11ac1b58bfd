import FleetAPI
import FleetDomain
import Foundation
import SatelliteProtocol
import Testing

extension FleetContractTests {
    /// Pages of the fleet (issue 30: a list of 100,000 satellites reads one page): the store
    /// judges each satellite's state now as the fleet view does, filters, orders and counts, the
    /// same on every backend.
    @Test(arguments: Backend.allCases)
    func aPageIsFilteredOrderedAndCountedByTheStore(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, clock in
            try await Self.seed(fleet)
            _ = try await fleet.groups.put(
                try Self.name("other"),
                GroupDefinition(registry: "central", artifacts: [try Self.artifact("a/b", tag: "1")]))
            var definitions = (0..<12).map { index in
                SatelliteDefinition(
                    name: String(format: "store-%02d", index), groups: index % 3 == 0 ? ["other"] : ["edge"],
                    labels: ["site": index < 6 ? "hamburg" : "berlin"])
            }
            definitions.append(SatelliteDefinition(name: "ship_1", groups: []))
            let tokens = try await fleet.satellites.create(batch: definitions)
            // store-00…09 register; store-10 and 11 stay pending; ship_1 registers and is revoked.
            for token in tokens where token.name != "store-10" && token.name != "store-11" {
                _ = try await fleet.register(token: token.token, publicKey: "k")
            }
            try await fleet.satellites.revoke(try Self.name("ship_1"))
            // Ten seconds apart: store-09 last heard, store-00 first. Then 100 s on, the five first
            // are stale, store-05 only by its long-poll's end, the rest heard again.
            for index in 0..<10 {
                clock.advance(10)
                _ = try await fleet.satellites.recordHeartbeat(
                    try Self.name(String(format: "store-%02d", index)), StatusReport(generation: 0, inventory: []))
            }
            try await fleet.satellites.storeHeartbeats([
                .init(name: "store-05", at: clock.now, pollingUntil: clock.now.addingTimeInterval(15))
            ])
            clock.advance(100)
            for index in 6..<10 {
                try await fleet.satellites.storeHeartbeats([
                    .init(
                        name: String(format: "store-%02d", index), at: clock.now.addingTimeInterval(Double(index - 10)))
                ])
            }
            func page(_ query: SatelliteQuery) async throws -> ([String], Int) {
                let page = try await fleet.satellites.page(query)
                return (page.satellites.map(\.name), page.total)
            }
            let stale = ["store-00", "store-01", "store-02", "store-03", "store-04"]
            #expect(try await page(SatelliteQuery(state: "stale")) == (stale, 5))
            #expect(
                try await page(SatelliteQuery(state: "online")).0 == [
                    "store-05", "store-06", "store-07", "store-08", "store-09",
                ])
            #expect(try await page(SatelliteQuery(state: "pending")) == (["store-10", "store-11"], 2))
            #expect(try await page(SatelliteQuery(state: "revoked")) == (["ship_1"], 1))
            #expect(
                try await fleet.satellites.countByState() == ["online": 5, "stale": 5, "pending": 2, "revoked": 1])
            // Paged by name; a page past the end is empty, the total still counted.
            #expect(
                try await page(SatelliteQuery(pageSize: 5)) == (
                    ["ship_1"] + (0..<4).map { String(format: "store-%02d", $0) }, 13
                ))
            #expect(try await page(SatelliteQuery(page: 3, pageSize: 5)) == (["store-09", "store-10", "store-11"], 13))
            #expect(try await page(SatelliteQuery(page: 9, pageSize: 5)) == ([], 13))
            // Filters together; the name any case, % and _ taken literally.
            #expect(try await page(SatelliteQuery(group: "other", site: "hamburg")) == (["store-00", "store-03"], 2))
            #expect(try await page(SatelliteQuery(nameContains: "STORE-1")) == (["store-10", "store-11"], 2))
            #expect(try await page(SatelliteQuery(nameContains: "p_")).1 == 1)
            #expect(try await page(SatelliteQuery(nameContains: "%")).1 == 0)
            // Orders: by when last heard (never heard first), by site, by state; each either way.
            let seen = try await page(SatelliteQuery(state: "online", sort: .seen)).0
            #expect(seen == ["store-05", "store-06", "store-07", "store-08", "store-09"], "\(seen)")
            let bySeen = try await page(SatelliteQuery(sort: .seen, descending: true, pageSize: 3)).0
            #expect(bySeen == ["store-09", "store-08", "store-07"], "\(bySeen)")
            #expect(try await page(SatelliteQuery(sort: .seen, pageSize: 3)).0 == ["ship_1", "store-10", "store-11"])
            #expect(
                try await page(SatelliteQuery(site: "berlin", sort: .state, descending: true, pageSize: 2)).0 == [
                    "store-11", "store-10",
                ])
            #expect(try await page(SatelliteQuery(sort: .site, pageSize: 2)).0 == ["ship_1", "store-06"])
            // Refused: a state that is none, a page of nothing or too many.
            await expectFailure(.invalidField) { _ = try await fleet.satellites.page(SatelliteQuery(state: "lost")) }
            await expectFailure(.invalidField) { _ = try await fleet.satellites.page(SatelliteQuery(pageSize: 0)) }
            await expectFailure(.invalidField) { _ = try await fleet.satellites.page(SatelliteQuery(pageSize: 1001)) }
            await expectFailure(.invalidField) { _ = try await fleet.satellites.page(SatelliteQuery(page: 0)) }
        }
    }
}
