import FleetAPI
import FleetDomain
import Foundation
import GroundControl
import SatelliteProtocol
import TestSupport
import Testing

@Suite("Ground Control API")
struct APITests {
    @Test func adminAndSatelliteRoutesAcceptOnlyTheirOwnSecret() async throws {
        try await APIHarness.run { api in
            let satellite = try await api.seedRegisteredSatellite()
            for token in [nil, "wrong", satellite.credential] {
                let reply = try await api.send("GET", "/api/v1/satellites", token: token)
                #expect(reply.status == 401 && reply.error?.code == "UNAUTHORIZED")
                #expect(reply.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
            }
            for token in [nil, "wrong", APIHarness.adminToken] {
                let reply = try await api.send("GET", "/api/v1/state", token: token)
                #expect(reply.status == 401 && reply.error?.code == "UNAUTHORIZED", "token \(token ?? "none")")
            }
            #expect(try await api.send("GET", "/api/v1/state", token: satellite.credential).status == 200)
            #expect(try await api.admin("GET", "/api/v1/satellites").status == 200)
        }
    }

    struct BadRequest: Sendable, CustomTestStringConvertible {
        let method: String
        let path: String
        let json: String?
        let status: Int
        let code: String
        /// Words the message must contain (it names the problem).
        let mentions: String

        var testDescription: String { "\(method) \(path) \(json?.prefix(40) ?? "") → \(status) \(code)" }
    }

    static let badRequests: [BadRequest] = [
        .init(
            method: "PUT", path: "/api/v1/registries/Bad_Name", json: #"{"url":"http://x"}"#, status: 400,
            code: "NAME_INVALID", mentions: "Bad_Name"),
        .init(
            method: "PUT", path: "/api/v1/registries/r", json: #"{"url":"#, status: 400, code: "BODY_INVALID",
            mentions: "JSON"),
        .init(
            method: "PUT", path: "/api/v1/registries/r", json: #"{"url":5}"#, status: 400, code: "BODY_INVALID",
            mentions: "url: must be a string"),
        .init(
            method: "PUT", path: "/api/v1/registries/r", json: #"{"kind":"oci"}"#, status: 400, code: "BODY_INVALID",
            mentions: "url: is required"),
        .init(
            method: "PUT", path: "/api/v1/registries/r", json: #"{"url":"http://x","insecure":"yes"}"#, status: 400,
            code: "BODY_INVALID", mentions: "insecure"),
        .init(
            method: "PUT", path: "/api/v1/groups/g",
            json: #"{"registry":"central","artifacts":[{"repository":"a","digest":"md5:1"}]}"#, status: 400,
            code: "BODY_INVALID", mentions: "artifacts[0].digest"),
        .init(
            method: "PUT", path: "/api/v1/groups/g", json: #"{"registry":"nowhere","artifacts":[]}"#, status: 404,
            code: "REGISTRY_UNKNOWN", mentions: "nowhere"),
        .init(
            method: "POST", path: "/api/v1/satellites", json: #"{"name":"s2","groups":["nope"]}"#, status: 404,
            code: "GROUP_UNKNOWN", mentions: "nope"),
        .init(
            method: "POST", path: "/api/v1/satellites", json: #"{"name":"s1","groups":[]}"#, status: 409,
            code: "DUPLICATE", mentions: "s1"),
        .init(method: "DELETE", path: "/api/v1/groups/edge", json: nil, status: 409, code: "IN_USE", mentions: "s1"),
        .init(
            method: "GET", path: "/api/v1/satellites/ghost", json: nil, status: 404, code: "SATELLITE_UNKNOWN",
            mentions: "ghost"),
        .init(
            method: "PUT", path: "/api/v1/satellites/s1/groups/ghost", json: nil, status: 404, code: "GROUP_UNKNOWN",
            mentions: "ghost"),
        .init(
            method: "GET", path: "/api/v1/audit?limit=0", json: nil, status: 400, code: "FIELD_INVALID",
            mentions: "limit"),
        .init(
            method: "GET", path: "/api/v1/nothing-here", json: nil, status: 404, code: "NOT_FOUND",
            mentions: "nothing-here"),
        .init(
            method: "PUT", path: "/api/v1/registries/r", json: #"{"url":"http://x","url":"ftp://y"}"#, status: 400,
            code: "BODY_INVALID",
            mentions: "\"url\" appears twice"),
        .init(
            method: "PUT", path: "/api/v1/registries/r", json: #"{"url":"http://x","usernme":"robot"}"#, status: 400,
            code: "BODY_INVALID",
            mentions: "usernme: unknown field"),
        .init(
            method: "PUT", path: "/api/v1/groups/g",
            json: #"{"registry":"central","artifacts":[{"repository":"a","tga":"1"}]}"#, status: 400,
            code: "BODY_INVALID", mentions: "artifacts[0].tga: unknown field"),
        .init(
            method: "PUT", path: "/api/v1/satellites/s1/settings",
            json: #"{"syncIntervalSeconds":1.5,"heartbeatIntervalSeconds":30,"logLevel":"info"}"#,
            status: 400, code: "BODY_INVALID", mentions: "syncIntervalSeconds: must be a whole number"),
        .init(
            method: "PUT", path: "/api/v1/registries/r", json: "\u{FEFF}{\"url\":\"http://x\"}", status: 400,
            code: "BODY_INVALID",
            mentions: "byte-order mark"),
        .init(
            method: "GET", path: "/api/v1/registries/", json: nil, status: 404, code: "NOT_FOUND",
            mentions: "name is missing"),
        .init(
            method: "PUT", path: "/api/v1/groups/edge?if-match", json: #"{"registry":"central","artifacts":[]}"#,
            status: 412, code: "CHANGED",
            mentions: "read it again"),
    ]

    @Test func badInputGetsA4xxNamingTheProblemAndChangesNothing() async throws {
        try await APIHarness.run { api in
            _ = try await api.seedRegisteredSatellite()
            let before = try await api.admin("GET", "/api/v1/audit").decode([AuditEntry].self).count
            for request in Self.badRequests {
                // `?if-match` marks the one request sent with a stale If-Match.
                let reply = try await api.send(
                    request.method, request.path.replacingOccurrences(of: "?if-match", with: ""),
                    token: APIHarness.adminToken,
                    json: request.json, headers: request.path.hasSuffix("?if-match") ? ["If-Match": "\"1\""] : [:])
                #expect(
                    reply.status == request.status,
                    "\(request.testDescription): \(String(decoding: reply.body, as: UTF8.self))")
                #expect(reply.error?.code == request.code, "\(request.testDescription)")
                #expect(
                    reply.error?.message.contains(request.mentions) == true,
                    "\(request.testDescription): \(reply.error?.message ?? "no message")")
            }
            #expect(try await api.admin("GET", "/api/v1/audit").decode([AuditEntry].self).count == before)
            #expect(
                try await api.admin("GET", "/api/v1/registries").decode([RegistryView].self).map(\.name) == ["central"])
        }
    }

    @Test func oversizedBodiesAre413AndBadTokensAre401() async throws {
        try await APIHarness.run { api in
            let huge = Data(#"{"url":""#.utf8) + Data(repeating: 0x61, count: 2 << 20) + Data(#""}"#.utf8)
            let reply = try await api.send("PUT", "/api/v1/registries/big", token: APIHarness.adminToken, body: huge)
            #expect(reply.status == 413 && reply.error?.code == "BODY_TOO_LARGE")
            let unknown = try await api.send("POST", "/api/v1/register", json: #"{"token":"gcr_nothing"}"#)
            #expect(unknown.status == 401 && unknown.error?.code == "TOKEN_INVALID")
            let malformed = try await api.send("POST", "/api/v1/register", json: #"{"tok":1}"#)
            #expect(malformed.status == 400 && malformed.error?.message == "token: is required")
        }
    }

    @Test func theStateIsSignedTaggedAndLongPollsWakeOnAChange() async throws {
        try await APIHarness.run { api in
            let satellite = try await api.seedRegisteredSatellite()
            let first = try await api.send("GET", "/api/v1/state", token: satellite.credential)
            #expect(first.status == 200)
            let state = try first.decode(DesiredState.self)
            try state.validate()
            #expect(state.artifacts.count == 1 && state.upstreams.first?.password == "s3cret")
            let etag = try #require(first.headers["etag"])
            #expect(etag == "\"\(state.generation)\"")
            let signature = try #require(first.headers[StateSignature.header.lowercased()])
            #expect(StateSignature.isValid(signature, for: first.body, publicKey: satellite.publicKey))
            #expect(
                !StateSignature.isValid(signature, for: first.body + Data(" ".utf8), publicKey: satellite.publicKey))

            let unchanged = try await api.send(
                "GET", "/api/v1/state", token: satellite.credential, headers: ["If-None-Match": etag])
            #expect(unchanged.status == 304 && unchanged.body.isEmpty)
            let waited = ContinuousClock.now
            let timedOut = try await api.send(
                "GET", "/api/v1/state?wait=1", token: satellite.credential, headers: ["If-None-Match": etag])
            #expect(timedOut.status == 304 && ContinuousClock.now - waited >= .milliseconds(900))

            // A long-poll returns as soon as an admin changes the group.
            async let polled = api.send(
                "GET", "/api/v1/state?wait=60", token: satellite.credential, headers: ["If-None-Match": etag])
            // Once the poll is parked (the metrics count it), its wake-up is what is measured.
            try await poll("the long-poll to wait") {
                String(decoding: try await api.send("GET", "/metrics").body, as: UTF8.self).contains(
                    "ground_control_long_polls 1")
            }
            let changedAt = ContinuousClock.now
            let put = try await api.admin("PUT", "/api/v1/groups/edge", json: #"{"registry":"central","artifacts":[]}"#)
            #expect(put.status == 200)
            let woke = try await polled
            #expect(woke.status == 200)
            // Well before the 60 s the long-poll would otherwise wait; milliseconds alone, but the
            // whole suite beside it on two threads stretches this process's clock.
            #expect(ContinuousClock.now - changedAt < .seconds(20))
            #expect(try woke.decode(DesiredState.self).generation > state.generation)
            #expect(try woke.decode(DesiredState.self).artifacts.isEmpty)

            // Changes to the satellite's own row reach its next request (the cache follows its revision).
            let settings = #"{"syncIntervalSeconds":5,"heartbeatIntervalSeconds":10,"logLevel":"debug"}"#
            #expect(try await api.admin("PUT", "/api/v1/satellites/s1/settings", json: settings).status == 200)
            let updated = try await api.send("GET", "/api/v1/state", token: satellite.credential).decode(
                DesiredState.self)
            #expect(updated.settings?.syncIntervalSeconds == 5)
            #expect(try await api.admin("DELETE", "/api/v1/satellites/s1/groups/edge").status == 200)
            #expect(
                try await api.send("GET", "/api/v1/state", token: satellite.credential).decode(DesiredState.self)
                    .upstreams.isEmpty)

            let badWait = try await api.send("GET", "/api/v1/state?wait=soon", token: satellite.credential)
            #expect(badWait.status == 400 && badWait.error?.message.contains("wait") == true)
        }
    }

    @Test func heartbeatsShowInTheFleetViewAndCarryRotation() async throws {
        try await APIHarness.run { api in
            let satellite = try await api.seedRegisteredSatellite()
            let report =
                #"""
                {"generation":1,"inventory":[],"diskUsedBytes":5,"diskFreeBytes":6,"lastSync":{"succeeded":true,\#
                "durationSeconds":1.5},"version":"0.1"}
                """#
            let reply = try await api.send("POST", "/api/v1/status", token: satellite.credential, json: report).decode(
                StatusReply.self)
            #expect(reply.commands.isEmpty && reply.settings == .defaults)
            // Heartbeats are written in batches, every 500 ms by default.
            try await poll("the heartbeat to be written") {
                try await api.admin("GET", "/api/v1/satellites/s1").decode(SatelliteView.self).lastSeen != nil
            }
            let view = try await api.admin("GET", "/api/v1/satellites/s1").decode(SatelliteView.self)
            #expect(view.state == "online" && view.appliedGeneration == 1 && view.drift.missing.count == 1)

            #expect(try await api.admin("POST", "/api/v1/satellites/s1/rotate").status == 202)
            let rotated = try await api.send("POST", "/api/v1/status", token: satellite.credential, json: report)
                .decode(StatusReply.self)
            let credential = try #require(rotated.commands.first?.credential)
            #expect(try await api.send("GET", "/api/v1/state", token: credential).status == 200)
            #expect(try await api.send("GET", "/api/v1/state", token: satellite.credential).status == 401)

            #expect(try await api.admin("POST", "/api/v1/satellites/s1/revoke").status == 204)
            #expect(try await api.send("POST", "/api/v1/status", token: credential, json: report).status == 401)
            let badReport = try await api.send(
                "POST", "/api/v1/status", token: credential, json: #"{"generation":"x"}"#)
            #expect(badReport.status == 401, "authentication comes before the body")
        }
    }

    @Test func operationsEndpointsAndTheOpenAPIDocumentAreServed() async throws {
        try await APIHarness.run { api in
            #expect(try await api.send("GET", "/healthz").status == 200)
            #expect(try await api.send("GET", "/readyz").status == 200)
            _ = try await api.seedRegisteredSatellite()
            let metrics = String(decoding: try await api.send("GET", "/metrics").body, as: UTF8.self)
            #expect(metrics.contains(#"ground_control_satellites{state="online"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"ground_control_satellites{state="stale"} 0"#))
            #expect(metrics.contains(#"ground_control_group_satellites{group="edge"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"ground_control_group_satellites_behind{group="edge"} 1"#), "\(metrics)")
            #expect(metrics.contains("ground_control_requests_total"))
            // The example alerting rules name only metrics Ground Control exports.
            let rules = try String(contentsOfFile: Self.repository + "/docs/prometheus-alerts.yaml", encoding: .utf8)
            let named = Set(rules.matches(of: /ground_control_[a-z_]+/).map { String($0.output) })
            #expect(named.count >= 4)
            for metric in named {
                #expect(
                    metrics.contains("\n\(metric){") || metrics.contains("\n\(metric) "),
                    "docs/prometheus-alerts.yaml names \(metric), which /metrics lacks")
            }

            let served = try await api.send("GET", "/openapi.json")
            #expect(served.status == 200 && served.body == Data(GroundControlDocument.openAPI.utf8))
            let document = try #require(try JSONSerialization.jsonObject(with: served.body) as? [String: Any])
            let paths = try #require(document["paths"] as? [String: Any])
            for path in [
                "/api/v1/registries/{name}", "/api/v1/groups/{name}", "/api/v1/groups", "/api/v1/satellites",
                "/api/v1/satellites/{name}", "/api/v1/satellites/{name}/groups/{group}",
                "/api/v1/satellites/{name}/token",
                "/api/v1/satellites/{name}/bundle", "/api/v1/users", "/api/v1/users/{name}", "/api/v1/tokens",
                "/api/v1/whoami", "/api/v1/satellites/batch", "/api/v1/fleet",
                "/api/v1/audit", "/api/v1/sites", "/api/v1/events/harbor", "/api/v1/subscriptions",
                "/api/v1/subscriptions/{name}",
                "/api/v1/subscriptions/{name}/deliveries", "/api/v1/register", "/api/v1/state", "/api/v1/status",
                "/api/v1/certificate", "/api/v1/rollouts", "/api/v1/rollouts/{rollout}/abort",
                "/api/v1/sites/{name}/settings", "/api/v1/satellites/{name}/sync-now",
                "/healthz", "/readyz", "/metrics",
            ] {
                #expect(paths[path] != nil, "openapi.json documents \(path)")
            }
        }
    }
}

extension APITests {
    @Test func aGroupChangeWakesOnlyItsMembers() async throws {
        try await APIHarness.run { api in
            let first = try await api.seedRegisteredSatellite()
            func group(_ name: String, digest byte: String) -> String {
                #"""
                {"registry":"central","artifacts":[{"repository":"apps/\#(name)",\#
                "digest":"sha256:\#(String(repeating: byte, count: 32))"}]}
                """#
            }
            func metrics() async throws -> String {
                String(decoding: try await api.send("GET", "/metrics").body, as: UTF8.self)
            }
            func wakeUps() async throws -> Int {
                let line = try await metrics().split(separator: "\n").first {
                    $0.hasPrefix("ground_control_long_poll_wakeups_total ")
                }
                return line.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
            }
            #expect(try await api.admin("PUT", "/api/v1/groups/other", json: group("db", digest: "ef")).status == 201)
            let etag = try #require(try await api.send("GET", "/api/v1/state", token: first.credential).headers["etag"])

            // A group s1 does not use changes: its long-poll is not woken and runs to its end. Six
            // seconds, so that under a loaded CI the test sees it parked (a scrape of /metrics
            // reads the whole fleet view) before it ends.
            async let polled = api.send(
                "GET", "/api/v1/state?wait=6", token: first.credential, headers: ["If-None-Match": etag])
            try await poll("the long-poll to wait") { try await metrics().contains("ground_control_long_polls 1") }
            let before = try await wakeUps()
            #expect(try await api.admin("PUT", "/api/v1/groups/other", json: group("db", digest: "aa")).status == 200)
            #expect(try await polled.status == 304)
            #expect(try await wakeUps() == before)

            // Its own group does wake it.
            async let again = api.send(
                "GET", "/api/v1/state?wait=30", token: first.credential, headers: ["If-None-Match": etag])
            try await poll("the long-poll to wait") { try await metrics().contains("ground_control_long_polls 1") }
            #expect(try await api.admin("PUT", "/api/v1/groups/edge", json: group("web", digest: "bb")).status == 200)
            #expect(try await again.status == 200)
            #expect(try await wakeUps() == before + 1)
        }
    }

    @Test func changesToOneSatelliteDoNotWakeTheOthers() async throws {
        try await APIHarness.run { api in
            let first = try await api.seedRegisteredSatellite()
            let etag = try #require(try await api.send("GET", "/api/v1/state", token: first.credential).headers["etag"])
            // Long enough to outlast the changes below on a loaded machine (10 s was not, once).
            async let polled = api.send(
                "GET", "/api/v1/state?wait=20", token: first.credential, headers: ["If-None-Match": etag])
            try await poll("the long-poll to wait") {
                String(decoding: try await api.send("GET", "/metrics").body, as: UTF8.self).contains(
                    "ground_control_long_polls 1")
            }
            // Another satellite is created, registered and given settings: s1's state is untouched.
            let token = try await api.admin("POST", "/api/v1/satellites", json: #"{"name":"s2","groups":["edge"]}"#)
                .decode(RegistrationToken.self)
            #expect(try await api.send("POST", "/api/v1/register", json: #"{"token":"\#(token.token)"}"#).status == 200)
            let settings = #"{"syncIntervalSeconds":5,"heartbeatIntervalSeconds":10,"logLevel":"debug"}"#
            #expect(try await api.admin("PUT", "/api/v1/satellites/s2/settings", json: settings).status == 200)
            #expect(
                String(decoding: try await api.send("GET", "/metrics").body, as: UTF8.self).contains(
                    "ground_control_long_polls 1"))
            #expect(try await polled.status == 304)

            // Its own settings do wake it.
            async let again = api.send(
                "GET", "/api/v1/state?wait=30", token: first.credential, headers: ["If-None-Match": etag])
            try await poll("the long-poll to wait") {
                String(decoding: try await api.send("GET", "/metrics").body, as: UTF8.self).contains(
                    "ground_control_long_polls 1")
            }
            #expect(try await api.admin("PUT", "/api/v1/satellites/s1/settings", json: settings).status == 200)
            let woke = try await again
            #expect(woke.status == 200)
            #expect(try woke.decode(DesiredState.self).settings?.logLevel == "debug")
        }
    }
}

extension APITests {
    /// The checkout, for the documents tests hold the code to.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
        .standardized.path
}
