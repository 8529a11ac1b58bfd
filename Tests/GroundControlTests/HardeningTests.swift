import FleetAPI
import FleetDomain
import Foundation
import GroundControl
import SatelliteProtocol
import TestSupport
import Testing

/// Faults found by probing Ground Control as an attacker would (issue 9), each kept fixed.
@Suite("Ground Control hardening")
struct HardeningTests {
    @Test func deletingASatelliteEndsItsCredentialAtOnce() async throws {
        try await APIHarness.run { api in
            let satellite = try await api.seedRegisteredSatellite()
            // Used before the delete, so the credential sits in the server's cache.
            #expect(try await api.send("GET", "/api/v1/state", token: satellite.credential).status == 200)
            #expect(
                try await api.send(
                    "POST", "/api/v1/status", token: satellite.credential, json: #"{"generation":1,"inventory":[]}"#
                ).status == 200)
            #expect(try await api.admin("DELETE", "/api/v1/satellites/s1").status == 204)

            let state = try await api.send("GET", "/api/v1/state", token: satellite.credential)
            #expect(state.status == 401 && state.error?.code == "UNAUTHORIZED")
            #expect(!String(decoding: state.body, as: UTF8.self).contains("s3cret"))
            let status = try await api.send(
                "POST", "/api/v1/status", token: satellite.credential, json: #"{"generation":1,"inventory":[]}"#)
            #expect(status.status == 401)

            // A new satellite of the same name has a new credential; the old one stays void.
            let token = try await api.admin("POST", "/api/v1/satellites", json: #"{"name":"s1","groups":["edge"]}"#)
                .decode(RegistrationToken.self)
            let again = try await api.send("POST", "/api/v1/register", json: #"{"token":"\#(token.token)"}"#).decode(
                RegistrationResponse.self)
            #expect(try await api.send("GET", "/api/v1/state", token: again.credential).status == 200)
            #expect(try await api.send("GET", "/api/v1/state", token: satellite.credential).status == 401)
        }
    }

    /// Either change wakes the wait (the generation moves); the answer must be the refusal, not a
    /// state carrying registry credentials.
    @Test(arguments: ["DELETE /api/v1/satellites/s1", "POST /api/v1/satellites/s1/revoke"])
    func aLongPollOfADeletedOrRevokedSatelliteEndsUnauthorized(change: String) async throws {
        let (method, path) = (String(change.split(separator: " ")[0]), String(change.split(separator: " ")[1]))
        try await APIHarness.run { api in
            let satellite = try await api.seedRegisteredSatellite()
            let etag = try #require(
                try await api.send("GET", "/api/v1/state", token: satellite.credential).headers["etag"])
            async let waiting = api.send(
                "GET", "/api/v1/state?wait=30", token: satellite.credential, headers: ["If-None-Match": etag])
            try await poll("the long-poll to wait") {
                String(decoding: try await api.send("GET", "/metrics").body, as: UTF8.self).contains(
                    "ground_control_long_polls 1")
            }
            #expect((200..<300).contains(try await api.admin(method, path).status))
            #expect(try await waiting.status == 401)
        }
    }

    @Test func theDatabaseFileIsTheOwnersOnlyAndAnOldOneIsTightened() async throws {
        let directory = try TemporaryDirectory("fleet-modes")
        defer { directory.remove() }
        func mode(_ path: String) throws -> Int? {
            try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        }

        let fresh = directory.appending("new/fleet.sqlite")
        let store = try SQLiteFleetStore(path: fresh, secrets: .forTests)
        try await Fleet(store: store).prepare()
        #expect(try mode(fresh) == 0o600)
        #expect(try mode(fresh + "-wal") == 0o600)
        #expect(try mode(directory.appending("new")) == 0o700)

        let old = directory.appending("old.sqlite")
        #expect(FileManager.default.createFile(atPath: old, contents: nil, attributes: [.posixPermissions: 0o644]))
        #expect(
            FileManager.default.createFile(atPath: old + "-wal", contents: nil, attributes: [.posixPermissions: 0o644]))
        let reopened = try SQLiteFleetStore(path: old, secrets: .forTests)
        #expect(try mode(old) == 0o600)
        // SQLite may remove an empty WAL file once it has opened the database.
        if FileManager.default.fileExists(atPath: old + "-wal") { #expect(try mode(old + "-wal") == 0o600) }
        _ = reopened
    }

    /// A newer satellite may send fields this Ground Control does not know: they are ignored, not refused.
    @Test func satelliteRequestsMayCarryFieldsThisServerDoesNotKnow() async throws {
        try await APIHarness.run { api in
            let satellite = try await api.seedRegisteredSatellite()
            let reply = try await api.send(
                "POST", "/api/v1/status", token: satellite.credential,
                json: #"{"generation":1,"inventory":[],"futureField":{"x":1}}"#)
            #expect(reply.status == 200)
            let duplicate = try await api.send(
                "POST", "/api/v1/status", token: satellite.credential,
                json: #"{"generation":1,"generation":2,"inventory":[]}"#)
            #expect(duplicate.status == 400 && duplicate.error?.message.contains("generation") == true)
        }
    }
}
