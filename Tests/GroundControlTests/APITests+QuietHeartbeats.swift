import FleetAPI
import Foundation
import GroundControl
import GroundControlClient
import SatelliteProtocol
import TestSupport
import Testing

/// Quiet heartbeats and liveness from long-polls (issue 30): a satellite whose status has not
/// changed names its digest instead of sending it, and a held long-poll keeps it online.
@Suite struct QuietHeartbeatAPITests {
    static let report = #"{"generation":1,"inventory":[],"diskUsedBytes":5,"diskFreeBytes":6,"version":"0.3"}"#

    @Test func aQuietHeartbeatNamesTheStatusHeldAndAnythingElseIsRefused() async throws {
        try await APIHarness.run(configure: {
            $0.cadence = SatelliteCadence(quietHeartbeatSeconds: 600, pollWaitSeconds: 120)
        }) { api in
            let satellite = try await api.seedRegisteredSatellite()
            let full = try await api.send("POST", "/api/v1/status", token: satellite.credential, json: Self.report)
            #expect(full.status == 200)
            let reply = try full.decode(StatusReply.self)
            let digest = QuietHeartbeat.digest(of: Array(Self.report.utf8))
            #expect(reply.statusDigest == digest, "the digest of the body exactly as sent")
            #expect(reply.quietIntervalSeconds == 600 && reply.pollWaitSeconds == 120)

            let quiet = try await api.send(
                "POST", "/api/v1/status", token: satellite.credential,
                headers: ["If-Match": QuietHeartbeat.entityTag(digest)])
            #expect(quiet.status == 200, "\(quiet.errorMessage)")
            #expect(try quiet.decode(StatusReply.self).statusDigest == digest)

            // Another status: 412 with the code the satellite acts on, and the one held is kept.
            let other = "sha256:" + String(repeating: "0", count: 64)
            let changed = try await api.send(
                "POST", "/api/v1/status", token: satellite.credential,
                headers: ["If-Match": QuietHeartbeat.entityTag(other)])
            #expect(changed.status == 412 && changed.error?.code == QuietHeartbeat.changedCode)

            // Malformed: a list, a weak tag, `*`, not a digest, or a body beside If-Match.
            for value in ["\"\(digest)\", \"\(other)\"", "W/\"\(digest)\"", "*", "\"sha256:12\"", digest] {
                let refused = try await api.send(
                    "POST", "/api/v1/status", token: satellite.credential, headers: ["If-Match": value])
                #expect(refused.status == 400 && refused.error?.code == "FIELD_INVALID", "\(value)")
            }
            let withBody = try await api.send(
                "POST", "/api/v1/status", token: satellite.credential, json: Self.report,
                headers: ["If-Match": QuietHeartbeat.entityTag(digest)])
            #expect(withBody.status == 400 && withBody.error?.code == "BODY_INVALID")
            // A quiet heartbeat without a credential, or with a revoked one, is refused first.
            let anonymous = try await api.send(
                "POST", "/api/v1/status", headers: ["If-Match": QuietHeartbeat.entityTag(digest)])
            #expect(anonymous.status == 401)

            // The status itself stands: what the full heartbeat said.
            try await poll("the heartbeat to be written") {
                try await api.admin("GET", "/api/v1/satellites/s1").decode(SatelliteView.self).appliedGeneration == 1
            }
        }
    }

    @Test func aQuietHeartbeatToAProcessThatDidNotHearTheStatusIsCheckedAgainstTheDatabase() async throws {
        let directory = try TemporaryDirectory("quiet-heartbeat")
        defer { directory.remove() }
        let database = directory.appending("fleet.sqlite")
        let digest = QuietHeartbeat.digest(of: Array(Self.report.utf8))
        let credential = try await APIHarness.run(database: database) { api in
            let satellite = try await api.seedRegisteredSatellite()
            #expect(
                try await api.send("POST", "/api/v1/status", token: satellite.credential, json: Self.report).status
                    == 200)
            return satellite.credential
        }
        // A new process on the same database: it never heard the status, the database did.
        try await APIHarness.run(database: database) { api in
            let quiet = try await api.send(
                "POST", "/api/v1/status", token: credential, headers: ["If-Match": QuietHeartbeat.entityTag(digest)])
            #expect(quiet.status == 200, "\(quiet.errorMessage)")
        }
    }

    @Test func aHeldLongPollKeepsTheSatelliteOnlineAndAQuietHeartbeatCountsAsHeard() async throws {
        try await APIHarness.run { api in
            let satellite = try await api.seedRegisteredSatellite()
            // One second between heartbeats: stale after three without a word.
            #expect(
                try await api.admin(
                    "PUT", "/api/v1/satellites/s1/settings",
                    json: #"{"syncIntervalSeconds":60,"heartbeatIntervalSeconds":1,"logLevel":"info"}"#
                ).status == 200)
            let state = try await api.send("GET", "/api/v1/state", token: satellite.credential)
            let etag = try #require(state.headers["etag"])
            try await poll("the satellite to go stale", timeout: .seconds(30)) {
                try await api.admin("GET", "/api/v1/satellites/s1").decode(SatelliteView.self).state == "stale"
            }
            // A long-poll held: online while it waits, though the satellite says nothing else.
            async let held = api.send(
                "GET", "/api/v1/state?wait=8", token: satellite.credential, headers: ["If-None-Match": etag])
            try await poll("the held long-poll to vouch for the satellite", timeout: .seconds(5)) {
                try await api.admin("GET", "/api/v1/satellites/s1").decode(SatelliteView.self).state == "online"
            }
            // Well past three heartbeat intervals, still online: the poll is still held.
            let started = ContinuousClock.now
            while ContinuousClock.now - started < .seconds(4) {
                #expect(
                    try await api.admin("GET", "/api/v1/satellites/s1").decode(SatelliteView.self).state == "online")
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(try await held.status == 304)
        }
    }

    @Test func aLongPollWhileARotationWaitsAsksASatelliteThatPrefersItForAHeartbeat() async throws {
        try await APIHarness.run { api in
            let satellite = try await api.seedRegisteredSatellite()
            let etag = try #require(
                try await api.send("GET", "/api/v1/state", token: satellite.credential).headers["etag"])
            func asked(_ reply: GroundControlClient.Reply) -> Bool {
                reply.status == 304 && reply.headers[HeartbeatRequest.header.lowercased()] == HeartbeatRequest.requested
            }
            // Held, then the rotation is asked for: it stamps the state, so the poll is answered.
            async let held = api.send(
                "GET", "/api/v1/state?wait=40", token: satellite.credential,
                headers: ["If-None-Match": etag, "Prefer": HeartbeatRequest.preference])
            try await poll("the long-poll to wait") {
                String(decoding: try await api.send("GET", "/metrics").body, as: UTF8.self)
                    .contains("ground_control_long_polls 1")
            }
            #expect(try await api.admin("POST", "/api/v1/satellites/s1/rotate").status == 202)
            let answered = try await held
            let stamped = try #require(answered.headers["etag"])
            #expect(answered.status == 200 && stamped != etag)

            // While the rotation waits, a poll that prefers heartbeat requests ends at once asking
            // for one (the preference among others); one that does not (an older satellite) is held.
            let preferring = ["If-None-Match": stamped, "Prefer": "respond-async, \(HeartbeatRequest.preference); x=1"]
            let started = ContinuousClock.now
            let now = try await api.send(
                "GET", "/api/v1/state?wait=40", token: satellite.credential, headers: preferring)
            #expect(asked(now) && now.headers["etag"] == stamped, "\(now.status) \(now.headers)")
            #expect(ContinuousClock.now - started < .seconds(20), "not at the end of its wait")
            let older = try await api.send(
                "GET", "/api/v1/state?wait=1", token: satellite.credential, headers: ["If-None-Match": stamped])
            #expect(older.status == 304 && older.headers[HeartbeatRequest.header.lowercased()] == nil)

            // The heartbeat takes the rotation (issuing the credential stamps the state again);
            // after it the long-poll is held again.
            let reply = try await api.send("POST", "/api/v1/status", token: satellite.credential, json: Self.report)
            #expect(try reply.decode(StatusReply.self).commands.map(\.type) == [SatelliteInstruction.rotateCredential])
            let latest = try #require(
                try await api.send("GET", "/api/v1/state", token: satellite.credential).headers["etag"])
            let after = try await api.send(
                "GET", "/api/v1/state?wait=1", token: satellite.credential,
                headers: ["If-None-Match": latest, "Prefer": HeartbeatRequest.preference])
            #expect(after.status == 304 && !asked(after))
        }
    }
}
