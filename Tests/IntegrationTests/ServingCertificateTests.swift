import FleetAPI
import FleetIdentity
import Foundation
import SatelliteProtocol
import TestSupport
import Testing

/// `satellite run --tls-from-ground-control`: a site gets HTTPS without managing certificates.
/// The satellite asks Ground Control's authority for a certificate for its advertised host,
/// serves with it from the first connection after it arrives, and again at once after a
/// restart; names that are not hosts are refused.
@Suite struct ServingCertificateTests {
    @Test func aSatelliteServesHTTPSWithACertificateFromGroundControl() async throws {
        let work = try TemporaryDirectory("serving")
        defer { work.remove() }
        let (tls, server, source) = try await MutualTLS.satelliteOfGroundControl(in: work, name: "edge-01")
        defer { Task { await server.stop() } }
        let port = try freePort()
        let arguments = ["--tls-from-ground-control", "--advertise", "https://127.0.0.1:\(port)"]
        var agent = try await SatelliteAgent(state: nil, arguments: arguments, source: source, port: port)
        defer { agent.terminate() }
        #expect(agent.child.output.contains("serving https://"), "\(agent.child.output)")

        let bundle = agent.dataDirectory + "/trust-bundle.pem"
        func served() async throws -> Bool {
            let answer = try await run(
                tls.curl,
                [
                    "-s", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", bundle,
                    "https://127.0.0.1:\(port)/v2/",
                ])
            return answer.output == "200"
        }
        try await poll("the satellite to serve HTTPS with its certificate", timeout: .seconds(30)) {
            try await served()
        }
        let serving = agent.dataDirectory + "/serving.pem"
        let mode = try FileManager.default.attributesOfItem(atPath: serving)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let shown = try await runChecked(
            tls.openssl, ["x509", "-in", serving, "-noout", "-ext", "subjectAltName,extendedKeyUsage"])
        #expect(shown.contains("IP Address:127.0.0.1") && shown.contains("TLS Web Server Authentication"), "\(shown)")

        // A rotation gives the serving certificate a new key too, served from the next connection.
        let first = try String(contentsOfFile: serving, encoding: .utf8)
        try await satctl(server, token: "admin", ["satellites", "rotate", "edge-01"])
        try await poll("a serving certificate for a new key", timeout: .seconds(30)) {
            try String(contentsOfFile: serving, encoding: .utf8) != first
        }
        // Kept first, then served: the next connection after that shows it.
        try await poll("the new certificate to be the one served") {
            let presented = try await run(
                "/bin/sh",
                [
                    "-c",
                    "echo | '\(tls.openssl)' s_client -connect 127.0.0.1:\(port) -CAfile '\(bundle)' 2>/dev/null "
                        + "| '\(tls.openssl)' x509 -noout -fingerprint",
                ])
            let kept = try await runChecked(tls.openssl, ["x509", "-in", serving, "-noout", "-fingerprint"])
            return presented.output == kept
        }
        #expect(try await served())

        // Restarted, it serves the certificate it kept at once, Ground Control or not.
        await server.stop()
        agent = try await agent.killedAndRestarted(arguments: arguments, source: source, port: port)
        #expect(try await served(), "the kept certificate is served from the start")
    }

    /// The node's runtimes trust Ground Control's authority for the satellite: containerd names
    /// the bundle the satellite keeps, podman gets a copy where it looks for a registry's CA.
    @Test func theNodesRuntimesTrustGroundControlsAuthority() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "library/app:1")
            let (tls, server) = try await MutualTLS.groundControl(in: work, auth: "mtls")
            defer { Task { await server.stop() } }
            let token = try await defineFleet(server, upstream: upstream, work: work, artifacts: ["library/app:1"])
            let node = work.appending("node")
            try FileManager.default.createDirectory(atPath: node, withIntermediateDirectories: true)
            let port = try freePort()
            let agent = try await SatelliteAgent(
                state: nil,
                arguments: [
                    "--tls-from-ground-control", "--advertise", "https://127.0.0.1:\(port)", "--runtime-root", node,
                    "--configure-runtime", "containerd,podman",
                ],
                source: [
                    "--ground-control", server.baseURL, "--token", token, "--ground-control-ca", tls.serverCertificate,
                ],
                port: port)
            defer { agent.terminate() }
            let bundle = agent.dataDirectory + "/trust-bundle.pem"
            let hosts = "\(node)/etc/containerd/certs.d/\(upstream.host)/hosts.toml"
            let copied = "\(node)/etc/containers/certs.d/127.0.0.1:\(port)/ca.crt"
            try await poll("the runtimes configured with the authority", timeout: .seconds(30)) {
                FileManager.default.fileExists(atPath: hosts) && FileManager.default.fileExists(atPath: copied)
            }
            let text = try String(contentsOfFile: hosts, encoding: .utf8)
            #expect(text.contains("ca = \"\(bundle)\""), "\(text)")
            #expect(FileManager.default.contents(atPath: copied) == FileManager.default.contents(atPath: bundle))
        }
    }

    @Test func namesThatAreNotHostsAreRefused() async throws {
        let work = try TemporaryDirectory("serving-names")
        defer { work.remove() }
        let (tls, server) = try await MutualTLS.groundControl(in: work, auth: "both")
        defer { Task { await server.stop() } }
        let token = try await createSatellite(server, "edge-01")
        let registration = try await tls.send(
            "POST", "\(server.baseURL)/api/v1/register",
            body: String(decoding: try JSONEncoder().encode(RegistrationRequest(token: token)), as: UTF8.self))
        let credential = try JSONDecoder().decode(RegistrationResponse.self, from: Data(registration.body.utf8))
            .credential
        let url = "\(server.baseURL)/api/v1/serving-certificate"
        func ask(_ names: [String], csr: String? = nil) async throws -> (status: Int, body: String) {
            let request = ServingCertificateRequest(csr: try csr ?? DeviceKey().request(for: nil), names: names)
            return try await tls.send(
                "POST", url, bearer: credential,
                body: String(decoding: try JSONEncoder().encode(request), as: UTF8.self))
        }
        #expect(try await ask(["edge-01.site.example", "10.0.0.11", "[fd00::11]"]).status == 200)
        for (names, field) in [
            (["*.site.example"], "names[0]"), (["Edge.example"], "names[0]"), ([], "names"),
            (Array(repeating: "a.example", count: 9), "names"), (["a.example", "b..example"], "names[1]"),
        ] {
            let refused = try await ask(names)
            #expect(refused.status == 400 && refused.body.contains(field), "\(names): \(refused)")
        }
        let garbage = try await ask(["a.example"], csr: "garbage")
        #expect(garbage.status == 400 && garbage.body.contains("csr"), "\(garbage)")
        #expect(try await tls.send("POST", url, body: "{}").status == 401, "only satellites")
    }
}
