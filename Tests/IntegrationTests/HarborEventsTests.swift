import FleetAPI
import Foundation
import OCI
import SatelliteProtocol
import TestSupport
import Testing

/// Push events: Harbor's webhook (the stand-in's) tells Ground Control of a push, and a satellite
/// long-polling for its state gets the new digest at once, not at the next resolve pass.
@Suite struct HarborEventsTests {
    /// Through the registry as a plain OCI registry and as a Harbor (tags read from its API, the
    /// satellite pulling with its robot), and with Harbor's webhook in its CloudEvents format.
    @Test(arguments: ["oci", "harbor", "harbor/CloudEvents"]) func aPushReachesALongPollingSatelliteWithinASecond(
        variant: String
    ) async throws {
        let kind = String(variant.prefix { $0 != "/" })
        let format = variant.contains("/") ? String(variant.drop { $0 != "/" }.dropFirst()) : "Default"
        let harbor = try await HarborStandIn()
        let work = try TemporaryDirectory("harbor-events")
        defer { work.remove() }
        do {
            var builder = try OCILayoutBuilder(path: work.appending("layout"))
            let first = try builder.image(architecture: "amd64", layers: [["version": "first\n"]])
            let second = try builder.image(architecture: "amd64", layers: [["version": "second\n"]])
            try builder.tag(first, as: "first")
            try builder.tag(second, as: "second")
            try await harbor.push(layout: work.appending("layout"), name: "first", to: "proj/team/app:v1")

            // The default resolve interval (60 s): only the event can be in time.
            let server = try await GroundControlProcess(directory: work, adminToken: "admin")
            defer { Task { await server.stop() } }
            let secret = "webhook-secret-0123456789abcdef"
            try Data(secret.utf8).write(to: URL(fileURLWithPath: work.appending("webhook")))
            try Data(HarborStandIn.adminPassword.utf8).write(to: URL(fileURLWithPath: work.appending("password")))
            let shown = try await satctl(
                server, token: "admin",
                [
                    "registries", "put", "central", "--registry-url", harbor.url, "--username", HarborStandIn.admin,
                    "--password-file", work.appending("password"), "--webhook-secret-file", work.appending("webhook"),
                    "--kind", kind,
                ])
            #expect(shown.contains("webhook"), "\(shown)")
            try await satctl(
                server, token: "admin",
                ["groups", "put", "edge", "--registry", "central", "--artifact", "proj/team/app:v1"])
            let created = try await satctl(
                server, token: "admin", ["satellites", "create", "edge-01", "--group", "edge", "--output", "json"])
            let token = try APIJSON.decoder().decode(RegistrationToken.self, from: Data(created.utf8)).token
            let registered = try await httpSend(
                "POST", "\(server.baseURL)/api/v1/register", headers: ["Content-Type": "application/json"],
                body: try APIJSON.encoder().encode(["token": token]))
            let credential = try APIJSON.decoder().decode(RegistrationResponse.self, from: registered.body).credential
            let auth = ["Authorization": "Bearer \(credential)"]

            // The state names the first image once the group's tag is resolved.
            let (etag, before) = try await pollFor("the first resolution") { () -> (String, DesiredState)? in
                let reply = try await httpGet("\(server.baseURL)/api/v1/state", headers: auth)
                let state = try APIJSON.decoder().decode(DesiredState.self, from: reply.body)
                // A Harbor's robot changes the state once more when it is made: wait for it too.
                guard state.artifacts.first?.digest == first.digest, let etag = reply.headers["etag"],
                    kind == "oci" || state.upstreams.first?.username?.hasPrefix("robot$") == true
                else { return nil }
                return (etag, state)
            }
            #expect(before.artifacts.count == 1)

            // Harbor's webhook policy for the project, pointed at Ground Control.
            let policy = """
                {"name": "ground-control", "enabled": true, "event_types": ["PUSH_ARTIFACT"],
                 "targets": [{"type": "http", "address": "\(server.baseURL)/api/v1/events/harbor", "auth_header": \
                 "\(secret)",
                              "payload_format": "\(format)"}]}
                """
            let basic =
                "Basic " + Data("\(HarborStandIn.admin):\(HarborStandIn.adminPassword)".utf8).base64EncodedString()
            let made = try await httpSend(
                "POST", "\(harbor.url)/api/v2.0/projects/proj/webhook/policies",
                headers: ["Authorization": basic, "Content-Type": "application/json"], body: Data(policy.utf8))
            #expect(made.status == 201)

            async let answer = httpSend(
                "GET", "\(server.baseURL)/api/v1/state?wait=30", headers: auth.merging(["If-None-Match": etag]) { $1 })
            try await harbor.push(layout: work.appending("layout"), name: "second", to: "proj/team/app:v1")
            let pushed = ContinuousClock.now
            let reply = try await answer
            let waited = ContinuousClock.now - pushed
            #expect(reply.status == 200)
            let after = try APIJSON.decoder().decode(DesiredState.self, from: reply.body)
            #expect(after.artifacts.first?.digest == second.digest)
            // What proves the event is that the state came at all: without it the long-poll would
            // run its 30 s out with a 304, and the next resolve pass is a minute away. The latency
            // itself is 30 ms on a quiet machine, but a CI run with every suite at once has shown
            // 3 s and 6.6 s (the resolve's registry calls wait for the CPU like everything else),
            // so the bound is the long-poll's own end, with room to tell the two apart.
            #expect(waited < .seconds(20), "the new state came \(waited) after the push")
            print("HarborEventsTests (\(variant)): the long-poll returned \(waited) after the push finished")
            let delivered = format == "CloudEvents" ? "delivered harbor.artifact.pushed" : "delivered PUSH_ARTIFACT"
            #expect(harbor.events.contains { $0.hasPrefix(delivered) && $0.hasSuffix(": 202") }, "\(harbor.events)")

            // Without the registry's secret, an event is refused.
            let forged = try await httpSend(
                "POST", "\(server.baseURL)/api/v1/events/harbor",
                headers: ["Authorization": "not-the-secret", "Content-Type": "application/json"],
                body: Data(#"{"type": "PUSH_ARTIFACT"}"#.utf8))
            #expect(forged.status == 401)
        } catch {
            await harbor.cleanUp()
            throw error
        }
        await harbor.cleanUp()
    }
}
