import FleetAPI
import FleetIdentity
import Foundation
import SatelliteProtocol
import TestSupport
import Testing
import X509

extension SitePeersTests {
    /// With certificates, a site's satellites know each other by them: each presents its own to
    /// the others, and a member's certificate opens `/_site` without the credential, while a
    /// satellite of another site, a certificate of another authority naming a member, or none
    /// at all do not.
    @Test func membersOfASiteAreAdmittedByTheirCertificates() async throws {
        try await withUpstream { work, _, upstream in
            let images = try SiteImages(in: work)
            try await images.push(to: upstream)
            let (tls, server) = try await MutualTLS.groundControl(in: work, auth: "mtls")
            defer { Task { await server.stop() } }
            try await defineGroup(server, upstream: upstream, work: work, artifacts: ["apps/app:v1"])
            func token(_ name: String, site: String) async throws -> String {
                try await createSatellite(server, name, options: ["--group", "edge", "--label", "site=\(site)"])
            }
            // Both serve HTTPS with the test's certificate for 127.0.0.1, which each trusts for the other.
            func join(_ name: String) async throws -> SatelliteAgent {
                let port = try freePort()
                return try await SatelliteAgent(
                    state: nil,
                    arguments: [
                        "--advertise", "https://127.0.0.1:\(port)", "--advertise-ca", tls.serverCertificate,
                        "--tls-cert", tls.serverCertificate, "--tls-key", tls.serverKey,
                    ],
                    source: [
                        "--ground-control", server.baseURL, "--token", try await token(name, site: "hamburg"),
                        "--ground-control-ca", tls.serverCertificate,
                    ],
                    port: port)
            }

            let first = try await join("hamburg-1")
            defer { first.terminate() }
            try await first.waitForStatus("the first node's sync") { $0.allSynced && !$0.inventory.isEmpty }
            let second = try await join("hamburg-2")
            defer { second.terminate() }
            // It fills itself from the first, over TLS, each presenting its certificate.
            try await second.waitForStatus("the second node's sync, from its peer") {
                $0.allSynced && !$0.inventory.isEmpty && ($0.transfer?.fromPeersBytes ?? 0) > 0
            }

            let site = "https://127.0.0.1:\(first.port)/_site/v2/"
            try await poll("the first node to admit the second by its certificate alone", timeout: .seconds(30)) {
                try await tls.send("GET", site, identity: second.dataDirectory + "/identity.pem").status == 200
            }
            let none = try await tls.send("GET", site)
            #expect(none.status == 401, "\(none)")

            // A satellite of another site, enrolled as the satellite would, with a certificate of
            // the same authority.
            let key = DeviceKey()
            let registration = try await tls.send(
                "POST", "\(server.baseURL)/api/v1/register",
                body: String(
                    decoding: try JSONEncoder().encode(
                        RegistrationRequest(
                            token: try await token("lisbon-1", site: "lisbon"), csr: try key.request(for: nil))),
                    as: UTF8.self))
            let registered = try JSONDecoder().decode(RegistrationResponse.self, from: Data(registration.body.utf8))
            let elsewhere = work.appending("lisbon-1.pem")
            try Data(
                try ClientIdentity(
                    key: key, chain: try Certificate.all(inPEM: try #require(registered.certificate), what: "chain")
                ).pem.utf8
            ).write(to: URL(fileURLWithPath: elsewhere))
            #expect(try await tls.send("GET", "\(server.baseURL)/api/v1/state", identity: elsewhere).status == 200)
            let stranger = try await tls.send("GET", site, identity: elsewhere)
            #expect(stranger.status == 401, "another site's satellite: \(stranger)")

            // Another authority's certificate naming a member.
            let spire = try SPIREStandIn(work: work)
            try await spire.makeAuthority(1)
            let forged = try await spire.mint(
                id: "spiffe://harbor-satellite.local/satellite/hamburg-2", by: 1, label: "forged")
            let refused = try await tls.send("GET", site, identity: forged.pair)
            #expect(refused.status == 401, "another authority: \(refused)")
        }
    }
}
