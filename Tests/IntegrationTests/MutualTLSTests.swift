import FleetAPI
import Foundation
import SatelliteProtocol
import TestSupport
import Testing

/// Satellites on mutual TLS, end to end with real programs: a satellite enrols with a key it
/// made, syncs and reports with its certificate, has its key rotated and its certificate
/// revoked; what is not its certificate is refused with a reason, by curl and openssl.
@Suite struct MutualTLSTests {
    @Test func aSatelliteEnrolsSyncsRotatesAndIsRevokedOnMutualTLS() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "library/app:1")
            let (tls, server) = try await MutualTLS.groundControl(in: work, auth: "mtls")
            defer { Task { await server.stop() } }
            #expect(server.baseURL.hasPrefix("https://"))
            let token = try await defineFleet(
                server, upstream: upstream, work: work, artifacts: ["library/app:1"],
                satelliteOptions: ["--heartbeat-interval", "1"])
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
            try await poll("the satellite to serve library/app:1 over mTLS", timeout: .seconds(60)) {
                let head = try? await httpGet(
                    "\(agent.baseURL)/v2/library/app/manifests/1", headers: ["Accept": images.first.mediaType])
                return head?.headers["docker-content-digest"] == images.first.digest.string
            }
            try await poll("the fleet view to show edge-01 online") {
                let view = try APIJSON.decoder().decode(
                    SatelliteView.self,
                    from: Data(
                        try await satctl(server, token: "admin", ["satellites", "show", "edge-01", "--output", "json"])
                            .utf8))
                return view.state == "online"
            }

            // Its key and certificate: owner-only, the certificate naming its SPIFFE ID.
            let identity = agent.dataDirectory + "/identity.pem"
            let mode = try FileManager.default.attributesOfItem(atPath: identity)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            let names = try await runChecked(
                tls.openssl, ["x509", "-in", identity, "-noout", "-ext", "subjectAltName"])
            #expect(names.contains("URI:spiffe://harbor-satellite.local/satellite/edge-01"), "\(names)")

            // The certificate is the satellite; its credential alone is not, on an mtls Ground Control.
            let state = "\(server.baseURL)/api/v1/state"
            #expect(try await tls.send("GET", state, identity: identity).status == 200)
            let credentials = try JSONDecoder().decode(
                GroundControlCredentialsFile.self,
                from: Data(contentsOf: URL(fileURLWithPath: agent.dataDirectory + "/ground-control.json")))
            let bearer = try await tls.send("GET", state, bearer: credentials.credential)
            #expect(bearer.status == 401 && bearer.body.contains("client certificate only"), "\(bearer)")

            // A certificate from another authority naming the same satellite is refused, and says so.
            try await makeImpostor(tls, id: "spiffe://harbor-satellite.local/satellite/edge-01")
            let impostor = try await tls.send("GET", state, identity: work.appending("impostor.pem"))
            #expect(impostor.status == 401 && impostor.body.contains("not issued by an authority"), "\(impostor)")

            // TLS 1.2 and 1.3 only.
            let port = String(server.baseURL.split(separator: ":").last ?? "")
            for (version, works) in [("-tls1_1", false), ("-tls1", false), ("-tls1_2", true), ("-tls1_3", true)] {
                let handshake = try await run(
                    "/bin/sh",
                    [
                        "-c",
                        "echo | '\(tls.openssl)' s_client -connect 127.0.0.1:\(port) \(version) "
                            + "-cipher DEFAULT@SECLEVEL=0 -CAfile '\(tls.serverCertificate)' 2>&1",
                    ])
                // A refused handshake still prints a session, with no cipher.
                let connected =
                    handshake.output.contains("Cipher is ") && !handshake.output.contains("Cipher is (NONE)")
                #expect(connected == works, "\(version): \(handshake.output.suffix(600))")
            }

            // A rotation gives the satellite a new key; the first use of its new certificate ends the old one.
            try FileManager.default.copyItem(atPath: identity, toPath: work.appending("before-rotation.pem"))
            try await satctl(server, token: "admin", ["satellites", "rotate", "edge-01"])
            try await poll("the satellite to hold a new key", timeout: .seconds(30)) {
                let now = try String(contentsOfFile: identity, encoding: .utf8)
                let before = try String(contentsOfFile: work.appending("before-rotation.pem"), encoding: .utf8)
                return now.components(separatedBy: "-----END PRIVATE KEY-----")[0]
                    != before.components(separatedBy: "-----END PRIVATE KEY-----")[0]
            }
            try await poll("the certificate before the rotation to be ended", timeout: .seconds(30)) {
                let old = try await tls.send("GET", state, identity: work.appending("before-rotation.pem"))
                return old.status == 401 && old.body.contains("revoked")
            }
            #expect(try await tls.send("GET", state, identity: identity).status == 200)
            let previous = agent.dataDirectory + "/identity.previous.pem"
            #expect(FileManager.default.fileExists(atPath: previous), "the pair before is kept")

            // Revoked: the certificate stops working at once.
            try await satctl(server, token: "admin", ["satellites", "revoke", "edge-01"])
            let revoked = try await tls.send("GET", state, identity: identity)
            #expect(revoked.status == 401, "\(revoked)")
        }
    }

    /// A CA of the test's own and a certificate from it naming `id`, in `impostor.pem` (key and chain).
    private func makeImpostor(_ tls: MutualTLS, id: String) async throws {
        let work = tls.work
        try await runChecked(
            "/bin/sh",
            [
                "-c",
                """
                cd '\(work.path)' && \
                '\(tls.openssl)' req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other-ca.key \
                  -out other-ca.pem -days 1 -subj /CN=OtherCA -addext basicConstraints=critical,CA:TRUE \
                  -addext keyUsage=critical,keyCertSign && \
                '\(tls.openssl)' req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout impostor.key \
                  -out impostor.csr -subj /CN=impostor && \
                printf 'subjectAltName=URI:\(id)\\nextendedKeyUsage=clientAuth\\n' > impostor.ext && \
                '\(tls.openssl)' x509 -req -in impostor.csr -CA other-ca.pem -CAkey other-ca.key -CAcreateserial \
                  -days 1 -extfile impostor.ext -out impostor.crt && \
                cat impostor.key impostor.crt > impostor.pem
                """,
            ])
    }
}

/// The fields of a satellite's `ground-control.json` these tests read.
struct GroundControlCredentialsFile: Decodable {
    let name: String
    let credential: String
}
