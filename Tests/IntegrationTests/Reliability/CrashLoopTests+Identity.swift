import FleetAPI
import Foundation
import SatelliteProtocol
import TestSupport
import Testing

extension Reliability.CrashLoopTests {
    /// The satellite and Ground Control killed with SIGKILL at random moments while the
    /// satellite's keys are rotated and its certificates renewed over mutual TLS: after every
    /// kill its `identity.pem` holds a key with its own certificate, and that certificate, or the
    /// one before it, is accepted (never none); its `serving.pem` holds a key with its own
    /// certificate, served at once when it restarts; restarted, it goes on renewing.
    @Test func killNineDuringRenewalLeavesACertificateThatWorks() async throws {
        let work = try TemporaryDirectory("identity-crash")
        defer { work.remove() }
        let tls = try MutualTLS(work: work)
        try await tls.makeServerCertificate()
        let port = try freePort()
        func startGroundControl() async throws -> GroundControlProcess {
            try await GroundControlProcess(
                directory: work, adminToken: "admin", port: port, caFile: tls.serverCertificate,
                extraArguments: tls.groundControlArguments(auth: "mtls"))
        }
        var server = try await startGroundControl()
        let created = try await satctl(
            server, token: "admin",
            ["satellites", "create", "edge-01", "--heartbeat-interval", "1", "--output", "json"])
        let token = try APIJSON.decoder().decode(RegistrationToken.self, from: Data(created.utf8)).token
        let agentDirectory = try TemporaryDirectory("identity-crash-agent")
        defer { agentDirectory.remove() }
        let agentPort = try freePort()
        let source = [
            "--ground-control", server.baseURL, "--ground-control-ca", tls.serverCertificate,
            "--tls-from-ground-control", "--advertise", "https://127.0.0.1:\(agentPort)",
        ]
        var agent = try await SatelliteAgent(
            state: nil, directory: agentDirectory, source: source + ["--token", token], port: agentPort)
        let identity = agent.dataDirectory + "/identity.pem"
        let previous = agent.dataDirectory + "/identity.previous.pem"
        let serving = agent.dataDirectory + "/serving.pem"
        let state = "\(server.baseURL)/api/v1/state"
        func served() async throws -> Bool {
            let answer = try await run(
                tls.curl,
                [
                    "-s", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
                    agentDirectory.appending("data/trust-bundle.pem"), "https://127.0.0.1:\(agentPort)/v2/",
                ])
            return answer.output == "200"
        }
        try await poll("the satellite to enrol and serve HTTPS", timeout: .seconds(30)) {
            guard try await tls.send("GET", state, identity: identity).status == 200 else { return false }
            return try await served()
        }

        var generator = SystemRandomNumberGenerator()
        var accepted = ["current": 0, "previous": 0]
        for round in 0..<6 {
            try await satctl(server, token: "admin", ["satellites", "rotate", "edge-01"])
            try await Task.sleep(for: .milliseconds(Int.random(in: 0..<1500, using: &generator)))
            let killsGroundControl = round % 3 == 2
            let victim = killsGroundControl ? server.child : agent.child
            victim.signal(SIGKILL)
            _ = try await victim.waitForExit()
            if killsGroundControl {
                server = try await startGroundControl()
            }
            try await expectKeyMatchesCertificate(identity, tls)
            try await expectKeyMatchesCertificate(serving, tls)
            let current = try await tls.send("GET", state, identity: identity).status
            let before =
                FileManager.default.fileExists(atPath: previous)
                ? try await tls.send("GET", state, identity: previous).status : 0
            #expect(current == 200 || before == 200, "round \(round): neither pair works (\(current), \(before))")
            accepted[current == 200 ? "current" : "previous", default: 0] += 1
            if !killsGroundControl {
                agent = try await SatelliteAgent(state: nil, directory: agentDirectory, source: source, port: agentPort)
                #expect(try await served(), "round \(round): the kept serving certificate is served from the start")
            }
        }
        // Left alone, it renews once more for a new key and that certificate works.
        let renewals = try await renewalCount(server)
        try await satctl(server, token: "admin", ["satellites", "rotate", "edge-01"])
        try await poll("one more renewal after the crash loop", timeout: .seconds(30)) {
            try await renewalCount(server) > renewals
        }
        try await poll("the renewed certificate to be accepted", timeout: .seconds(30)) {
            try await tls.send("GET", state, identity: identity).status == 200
        }
        print("CrashLoopTests (identity): 6 kills; accepted after each: \(accepted)")
        await agent.child.stop()
        await server.stop()
    }

    private func renewalCount(_ server: GroundControlProcess) async throws -> Int {
        let audit = try await satctl(server, token: "admin", ["audit", "--limit", "1000", "--output", "json"])
        return audit.components(separatedBy: "satellite.certificate.renewed").count - 1
    }

    /// The key in an identity file and its certificate's are the same key (openssl reads both).
    private func expectKeyMatchesCertificate(_ path: String, _ tls: MutualTLS) async throws {
        let fromKey = try await runChecked(tls.openssl, ["pkey", "-in", path, "-pubout"])
        let fromCertificate = try await runChecked(tls.openssl, ["x509", "-in", path, "-noout", "-pubkey"])
        #expect(fromKey == fromCertificate, "\(path): the key is not the certificate's")
    }
}
