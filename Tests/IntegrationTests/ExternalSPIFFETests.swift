import FleetAPI
import FleetIdentity
import Foundation
import SatelliteProtocol
import TestSupport
import Testing

/// An operator's SPIFFE authority in place of Ground Control's: Ground Control trusts its bundle
/// and names satellites by a pattern, the satellite presents the SVID a SPIFFE agent keeps in
/// files, and both follow the files as SPIRE rotates the SVID and its authorities.
@Suite struct ExternalSPIFFETests {
    @Test func aSatelliteOnAnSVIDFollowsSPIREsRotationsAndIsRevokedByName() async throws {
        let work = try TemporaryDirectory("spiffe")
        defer { work.remove() }
        let spire = try SPIREStandIn(work: work)
        try await spire.makeAuthority(1)
        let groundControlBundle = work.appending("ground-control-bundle.pem")
        try spire.bundle([1]).write(to: URL(fileURLWithPath: groundControlBundle))
        let (tls, server) = try await MutualTLS.groundControl(
            in: work, auth: "mtls",
            ["--spiffe-trust-bundle", groundControlBundle, "--spiffe-id-pattern", "spiffe://example.org/edge/{name}"])
        defer { Task { await server.stop() } }
        let token = try await createSatellite(server, "edge-01", options: ["--heartbeat-interval", "1"])

        // Started before the SPIFFE agent wrote anything: it waits, and says for what.
        let svid = work.appending("svid")
        try FileManager.default.createDirectory(atPath: svid, withIntermediateDirectories: true)
        let agent = try await SatelliteAgent(
            state: nil,
            source: [
                "--ground-control", server.baseURL, "--token", token, "--ground-control-ca", tls.serverCertificate,
                "--svid-cert", svid + "/svid.pem", "--svid-key", svid + "/svid_key.pem", "--svid-bundle",
                svid + "/svid_bundle.pem",
            ])
        defer {
            Task {
                await agent.child.stop(); agent.directory.remove()
            }
        }
        try await poll("the satellite to wait for its SVID") {
            agent.child.errorOutput.contains("waiting for the SPIFFE agent")
        }
        let first = try await spire.mint(id: "spiffe://example.org/edge/edge-01", by: 1, label: "first")
        try SPIREStandIn.write(certificate: first.certificate, key: first.key, bundle: spire.bundle([1]), to: svid)
        try await poll("edge-01 to be online on its SVID", timeout: .seconds(60)) {
            try await view(server).state == "online"
        }
        #expect(
            !FileManager.default.fileExists(atPath: agent.dataDirectory + "/identity.pem"),
            "no key of its own is made")

        let state = "\(server.baseURL)/api/v1/state"
        #expect(try await tls.send("GET", state, identity: first.pair).status == 200)
        // Ground Control issues nothing: the SPIFFE authority is the operator's.
        let renewal = try await tls.send(
            "POST", "\(server.baseURL)/api/v1/certificate", identity: first.pair,
            body: try tls.requestJSON(try DeviceKey().request(for: nil)))
        #expect(renewal.status == 404 && renewal.body.contains("SPIFFE authority"), "\(renewal)")
        for (id, reason) in [
            ("spiffe://example.org/edge/edge-02", "not registered"),
            ("spiffe://example.org/satellite/edge-01", "not a satellite's"),
        ] {
            let other = try await spire.mint(id: id, by: 1, label: UUID().uuidString)
            let refused = try await tls.send("GET", state, identity: other.pair)
            #expect(refused.status == 401 && refused.body.contains(reason), "\(id): \(refused)")
        }
        try await spire.makeAuthority(9)
        let stranger = try await spire.mint(id: "spiffe://example.org/edge/edge-01", by: 9, label: "stranger")
        #expect(try await tls.send("GET", state, identity: stranger.pair).status != 200, "another authority")

        // SPIRE rotates its authority: the new one joins the bundle, SVIDs move to it (written
        // under the running satellite), then the old one leaves the bundle.
        try await spire.makeAuthority(2)
        try spire.bundle([1, 2]).write(to: URL(fileURLWithPath: groundControlBundle))
        let second = try await spire.mint(id: "spiffe://example.org/edge/edge-01", by: 2, label: "second")
        try await poll("Ground Control to take the new authority", timeout: .seconds(20)) {
            try await tls.send("GET", state, identity: second.pair).status == 200
        }
        try SPIREStandIn.write(
            certificate: second.certificate, key: second.key, bundle: spire.bundle([1, 2]), to: svid)
        try await poll("the satellite to take the rotated SVID") {
            agent.child.errorOutput.contains("SVID rotated")
        }
        try spire.bundle([2]).write(to: URL(fileURLWithPath: groundControlBundle))
        try await poll("Ground Control to drop the old authority", timeout: .seconds(20)) {
            try await tls.send("GET", state, identity: first.pair).status == 401
        }
        let dropped = Date()
        try await poll("edge-01 to go on reporting on its new SVID", timeout: .seconds(20)) {
            (try await view(server).lastSeen ?? .distantPast) > dropped.addingTimeInterval(2)
        }
        #expect(!agent.child.errorOutput.contains("refused the credential"), "\(agent.child.errorOutput.suffix(2000))")

        // Revoking the satellite is what ends its SVID here.
        try await satctl(server, token: "admin", ["satellites", "revoke", "edge-01"])
        #expect(try await tls.send("GET", state, identity: second.pair).status == 401)
        try await poll("the satellite to hear it is revoked") {
            agent.child.errorOutput.contains("refused the credential of edge-01")
        }
    }

    private func view(_ server: GroundControlProcess) async throws -> SatelliteView {
        try APIJSON.decoder().decode(
            SatelliteView.self,
            from: Data(
                try await satctl(server, token: "admin", ["satellites", "show", "edge-01", "--output", "json"]).utf8))
    }
}
