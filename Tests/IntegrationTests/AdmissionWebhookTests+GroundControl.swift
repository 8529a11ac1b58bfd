import Foundation
import TestSupport
import Testing

extension AdmissionWebhookTests {
    /// `--admission-tls-from-ground-control`: the webhook serves with a certificate Ground
    /// Control's authority issues for the webhook Service's name (the caBundle is then Ground
    /// Control's CA), kept owner-only in `admission.pem`, and served at once after a restart,
    /// Ground Control away; a name that is not one is refused at start.
    @Test func theWebhooksCertificateComesFromGroundControl() async throws {
        let work = try TemporaryDirectory("admission-gc")
        defer { work.remove() }
        let (tls, server, source) = try await MutualTLS.satelliteOfGroundControl(in: work, name: "edge-01")
        defer { Task { await server.stop() } }
        let port = try freePort()
        let arguments = [
            "--advertise", "http://127.0.0.1:\(port)", "--admission-listen", "127.0.0.1:0",
            "--admission-tls-from-ground-control", "--admission-name", "satellite-webhook.edge.svc",
        ]
        var agent = try await SatelliteAgent(state: nil, arguments: arguments, source: source, port: port)
        defer { agent.terminate() }
        func webhookPort() async throws -> Int {
            try await pollFor("the webhook's port") { [agent] () -> Int? in
                agent.child.output.firstMatch(of: #/satellite: admission webhook at https://[^ ]+:(\d+)/mutate/#)
                    .flatMap { Int($0.1) }
            }
        }
        let bundle = agent.dataDirectory + "/trust-bundle.pem"
        func answers(_ hook: Int) async throws -> Bool {
            let reply = try await run(
                tls.curl,
                [
                    "-s", "--max-time", "5", "--cacert", bundle, "--connect-to",
                    "satellite-webhook.edge.svc:443:127.0.0.1:\(hook)", "https://satellite-webhook.edge.svc/healthz",
                ])
            return reply.output == "ok\n"
        }
        let hook = try await webhookPort()
        try await poll("the webhook to serve with Ground Control's certificate", timeout: .seconds(30)) {
            try await answers(hook)
        }
        let kept = agent.dataDirectory + "/admission.pem"
        #expect(try FileManager.default.attributesOfItem(atPath: kept)[.posixPermissions] as? Int == 0o600)
        let shown = try await runChecked(tls.openssl, ["x509", "-in", kept, "-noout", "-ext", "subjectAltName"])
        #expect(shown.contains("DNS:satellite-webhook.edge.svc"), "\(shown)")

        // Restarted with Ground Control away: the kept certificate is served from the start.
        await server.stop()
        agent = try await agent.killedAndRestarted(arguments: arguments, source: source, port: port)
        #expect(try await answers(try await webhookPort()), "the kept certificate is served at once")

        // Refused at start: no Ground Control, files as well, a name that is not one.
        for (extra, message) in [
            (["--admission-name", "Not A Name"], "admission-name"),
            (["--admission-tls-cert", bundle, "--admission-tls-key", bundle], "admission-tls-cert"),
        ] {
            let refused = try await run(
                try productPath("satellite"),
                ["run", "--data-dir", work.appending("other"), "--listen", "127.0.0.1:0"] + source + arguments + extra)
            #expect(refused.status != 0 && refused.error.contains(message), "\(extra): \(refused.error)")
        }
    }
}
