import FleetAPI
import Foundation
import SatelliteProtocol
import TestSupport
import Testing

extension MutualTLSTests {
    /// Ground Control restored from a backup made before the satellite's last renewal knows the
    /// certificate before it, not the latest: the satellite falls back to the pair it kept,
    /// renews with it, and goes on.
    @Test func aSatelliteFallsBackToThePairBeforeWhenGroundControlIsRestored() async throws {
        let work = try TemporaryDirectory("mtls-restore")
        defer { work.remove() }
        let tls = try MutualTLS(work: work)
        try await tls.makeServerCertificate()
        let port = try freePort()
        var server = try await GroundControlProcess(
            directory: work, adminToken: "admin", port: port, caFile: tls.serverCertificate,
            extraArguments: tls.groundControlArguments(auth: "mtls"))
        let created = try await satctl(
            server, token: "admin",
            ["satellites", "create", "edge-01", "--heartbeat-interval", "1", "--output", "json"])
        let token = try APIJSON.decoder().decode(RegistrationToken.self, from: Data(created.utf8)).token
        let agent = try await SatelliteAgent(
            state: nil,
            source: [
                "--ground-control", server.baseURL, "--token", token, "--ground-control-ca", tls.serverCertificate,
            ])
        defer {
            Task {
                await agent.child.stop(); agent.directory.remove()
            }
        }
        let identity = agent.dataDirectory + "/identity.pem"
        let state = "\(server.baseURL)/api/v1/state"
        try await poll("the satellite to enrol", timeout: .seconds(30)) {
            try await tls.send("GET", state, identity: identity).status == 200
        }

        let groundControl = try productPath("ground-control")
        let database = work.appending("fleet.sqlite")
        let backup = work.appending("fleet-backup.sqlite")
        try await runChecked(groundControl, ["backup", "--database", "sqlite:\(database)", "--to", backup])
        // Renewed for a new key after the backup: the backup's Ground Control never saw it.
        let enrolled = try String(contentsOfFile: identity, encoding: .utf8)
        try await satctl(server, token: "admin", ["satellites", "rotate", "edge-01"])
        try await poll("the satellite to renew for a new key", timeout: .seconds(30)) {
            guard try String(contentsOfFile: identity, encoding: .utf8) != enrolled else { return false }
            return try await tls.send("GET", state, identity: identity).status == 200
        }
        let renewed = try String(contentsOfFile: identity, encoding: .utf8)
        // A copy, because the satellite may fall back and renew before this test first asks.
        let latest = work.appending("latest.pem")
        try renewed.write(toFile: latest, atomically: true, encoding: .utf8)

        await server.stop()
        let restored = work.appending("restored.sqlite")
        try await runChecked(
            groundControl,
            [
                "restore", "--from", backup, "--database", "sqlite:\(restored)", "--secret-key-file",
                work.appending("secret.key"),
            ])
        server = try await GroundControlProcess(
            directory: work, database: "sqlite:\(restored)", adminToken: "admin", port: port,
            caFile: tls.serverCertificate, extraArguments: tls.groundControlArguments(auth: "mtls"))
        defer { Task { [server] in await server.stop() } }
        #expect(try await tls.send("GET", state, identity: latest).status == 401, "the latest is unknown there")

        try await poll("the satellite to fall back, renew and be accepted again", timeout: .seconds(60)) {
            guard try String(contentsOfFile: identity, encoding: .utf8) != renewed else { return false }
            return try await tls.send("GET", state, identity: identity).status == 200
        }
        #expect(agent.child.errorOutput.contains("using the one before it"), "\(agent.child.errorOutput.suffix(2000))")
        #expect(!agent.child.errorOutput.contains("revoked or deleted"), "a restore is not a revocation")
    }
}
