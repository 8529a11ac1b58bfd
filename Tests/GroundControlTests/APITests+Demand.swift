import AsyncHTTPClient
import FleetAPI
import Foundation
import GroundControlClient
import OCI
import SatelliteProtocol
import TestSupport
import Testing

extension APITests {
    /// Demand over the API: a satellite's report is checked (too many entries, negative counts,
    /// both a tag and a digest are 400s naming the field), summed fleet-wide with what no group
    /// names by default; any role reads it, only an operator adds an entry to a group (on the
    /// entry's registry, once), and what is added leaves the list and reaches the state.
    @Test func demandIsReportedListedAndAddedToAGroupByOperatorsOnly() async throws {
        try await APIHarness.run { api in
            let s1 = try await api.seedRegisteredSatellite()
            let password = "a long enough password"
            let (viewer, operatorToken) = try await api.viewerAndOperatorTokens(password: password)
            let now = Date(timeIntervalSince1970: 1_796_000_000)
            let pinned = "sha256:" + String(repeating: "cd", count: 32)
            var meter: MeterReport?
            func heartbeat(_ entries: [DemandEntry]) async throws -> Int {
                var report = StatusReport(generation: 0, inventory: [])
                report.demand = DemandReport(entries: entries)
                report.meter = meter
                return try await api.send(
                    "POST", "/api/v1/status", token: s1.credential, body: try APIJSON.encoder().encode(report)
                ).status
            }

            let many = (0...DemandReport.reportedEntries).map {
                DemandEntry(upstream: "central", repository: "apps/a\($0)", tag: "1", digest: nil, lastAskedAt: now)
            }
            let refusals: [([DemandEntry], String)] = [
                (many, "demand.entries: "),
                (
                    [DemandEntry(upstream: nil, repository: "x", tag: "1", digest: nil, misses: -1, lastAskedAt: now)],
                    "demand.entries[0]: "
                ),
                (
                    [DemandEntry(upstream: nil, repository: "x", tag: "1", digest: pinned, lastAskedAt: now)],
                    "demand.entries[0]: "
                ),
                (
                    [DemandEntry(upstream: nil, repository: "", tag: "1", digest: nil, lastAskedAt: now)],
                    "demand.entries[0]: "
                ),
            ]
            for (entries, field) in refusals {
                var report = StatusReport(generation: 0, inventory: [])
                report.demand = DemandReport(entries: entries)
                let reply = try await api.send(
                    "POST", "/api/v1/status", token: s1.credential, body: try APIJSON.encoder().encode(report))
                #expect(reply.status == 400 && reply.error?.message.hasPrefix(field) == true, "\(reply.errorMessage)")
            }

            let today = Date().formatted(.iso8601.year().month().day().dateSeparator(.dash))
            meter = MeterReport(budgets: [], days: [.init(day: today, bytes: 5 << 20)])
            #expect(
                try await heartbeat([
                    DemandEntry(
                        upstream: "central", repository: "apps/api", tag: "1", digest: nil, misses: 3,
                        lastAskedAt: now),
                    DemandEntry(
                        upstream: "central", repository: "apps/web", tag: nil, digest: pinned, notFound: 1,
                        lastAskedAt: now),
                    DemandEntry(
                        upstream: nil, host: "ghcr.io", repository: "library/nginx", tag: "1", digest: nil, notFound: 2,
                        lastAskedAt: now),
                ]) == 200)
            func demand(_ query: String = "", as token: String) async throws -> DemandList {
                try await api.send("GET", "/api/v1/demand\(query)", token: token).decode(DemandList.self)
            }
            // Heartbeats are written in batches and the fleet view is cached for a moment.
            try await poll("the demand to be listed") { try await demand(as: viewer).entries.count == 2 }
            let listed = try await demand(as: viewer)
            #expect(listed.satellitesReporting == 1)
            #expect(listed.entries.map(\.artifact) == ["apps/api:1", "library/nginx:1"], "most asked first")
            #expect(listed.entries[0].registry == "central" && listed.entries[0].satellites == ["s1"])
            #expect(listed.entries[1].host == "ghcr.io" && listed.entries[1].registry == nil)
            let all = try await demand("?all=true", as: viewer)
            #expect(all.entries.first { $0.digest == pinned }?.groups == ["edge"], "the group names it")
            #expect(try await api.send("GET", "/api/v1/demand?all=maybe", token: viewer).status == 400)
            #expect(try await api.send("GET", "/api/v1/demand?limit=0", token: viewer).status == 400)
            let shown = try await api.send("GET", "/api/v1/satellites/s1", token: viewer).decode(SatelliteView.self)
            #expect(shown.demand?.entries.count == 3)

            // The pages: the satellite's meter as a chart and its demand; the list with a form
            // adding an entry to a group on its registry, for an operator only.
            try await Self.withPageClient { http in
                var olga = Browser(client: GroundControlClient(baseURL: api.baseURL, http: http))
                #expect(try await olga.logIn("olga", password).status == 303)
                let page = try await olga.get("/satellites/s1?fragment=status")
                #expect(
                    page.text.contains("<svg class=\"chart\"") && page.text.contains("<title>\(today): 5.0 MiB</title>")
                )
                #expect(page.text.contains("central/apps/api:1") && page.text.contains("ghcr.io/library/nginx:1"))
                let list = try await olga.get("/demand")
                #expect(
                    list.text.contains("data-api=\"/api/v1/groups/{group}/artifacts\"")
                        && list.text.contains("<option>edge</option>"))
                var vera = Browser(client: GroundControlClient(baseURL: api.baseURL, http: http))
                #expect(try await vera.logIn("vera", password).status == 303)
                let viewed = try await vera.get("/demand")
                #expect(viewed.text.contains("apps/api:1") && !viewed.text.contains("data-api"))
            }

            // Adding: never a viewer; the entry's registry must be the group's; once.
            let addition = #"{"registry":"central","artifact":{"repository":"apps/api","tag":"1"}}"#
            #expect(
                try await api.send("POST", "/api/v1/groups/edge/artifacts", token: viewer, json: addition).status == 403
            )
            let elsewhere = try await api.send(
                "POST", "/api/v1/groups/edge/artifacts", token: operatorToken,
                json: #"{"registry":"harbor","artifact":{"repository":"apps/api","tag":"1"}}"#)
            #expect(elsewhere.status == 400 && elsewhere.error?.message.hasPrefix("registry: ") == true)
            let unknown = try await api.send(
                "POST", "/api/v1/groups/nope/artifacts", token: operatorToken, json: addition)
            #expect(unknown.status == 404 && unknown.error?.code == "GROUP_UNKNOWN")
            for bad in [
                #"{"artifact":{"repository":"apps/api"}}"#, #"{"artifact":{"repository":"Not A Name","tag":"1"}}"#, "{",
            ] {
                let reply = try await api.send("POST", "/api/v1/groups/edge/artifacts", token: operatorToken, json: bad)
                #expect(reply.status == 400, "\(bad): \(reply.status)")
            }
            let added = try await api.send(
                "POST", "/api/v1/groups/edge/artifacts", token: operatorToken, json: addition)
            #expect(added.status == 201)
            #expect(
                try added.decode(GroupView.self).artifacts.contains {
                    $0.repository.value == "apps/api" && $0.tag?.value == "1"
                })
            #expect(
                try await api.send("POST", "/api/v1/groups/edge/artifacts", token: operatorToken, json: addition).status
                    == 200, "named already: nothing changes")
            #expect(try await demand(as: viewer).entries.map(\.artifact) == ["library/nginx:1"])
            let state = try await api.send("GET", "/api/v1/state", token: s1.credential).decode(DesiredState.self)
            #expect(state.artifacts.contains { $0.repository.value == "apps/api" && $0.tag?.value == "1" })
            let audit = try await api.admin("GET", "/api/v1/audit?actor=user:olga").decode([AuditEntry].self)
            #expect(audit.filter { $0.action == "group.put" }.count == 1, "\(audit)")
        }
    }
}
