import Foundation
import TestSupport
import Testing

extension Reliability.DiskFullTests {
    /// A satellite serving HTTPS with Ground Control's certificate, its disk full when it is told
    /// to rotate its keys and credential: it keeps serving the certificate it holds, whole, and
    /// the credential it holds; retries; and takes both new ones once there is room, unrestarted.
    @Test func aFullDiskKeepsTheServingCertificateAndRenewsOnceThereIsRoom() async throws {
        let work = try TemporaryDirectory("disk-full-identity")
        defer { work.remove() }
        let (tls, server) = try await MutualTLS.groundControl(in: work, auth: "mtls")
        defer { Task { await server.stop() } }
        let token = try await createSatellite(server, "edge-01", options: ["--heartbeat-interval", "1"])
        let port = try freePort()
        guard
            let satellite = try await Self.start(
                megabytes: 16, in: work,
                arguments: {
                    [
                        "run", "--data-dir", "\($0)/data", "--listen", "127.0.0.1:\(port)", "--ground-control",
                        server.baseURL, "--ground-control-ca", tls.serverCertificate, "--token", token,
                        "--tls-from-ground-control", "--advertise", "https://127.0.0.1:\(port)", "--log-level", "info",
                    ]
                })
        else { return }
        defer { Task { await satellite.child.stop() } }
        let bundle = satellite.path("data/trust-bundle.pem")
        func presented() async throws -> String {
            try await run(
                "/bin/sh",
                [
                    "-c",
                    "echo | '\(tls.openssl)' s_client -connect 127.0.0.1:\(port) -CAfile '\(bundle)' 2>/dev/null "
                        + "| '\(tls.openssl)' x509 -noout -fingerprint",
                ]
            ).output
        }
        let first = try await pollFor("the satellite to serve its first certificate", timeout: .seconds(30)) {
            () -> String? in
            let shown = try await presented()
            return shown.contains("Fingerprint=") ? shown : nil
        }

        let filler = try Self.fill(satellite)
        try await satctl(server, token: "admin", ["satellites", "rotate", "edge-01"])
        try await poll("the satellite to fail to keep a new certificate", timeout: .seconds(30)) {
            satellite.child.errorOutput.contains("cannot get a serving certificate; retrying")
                && satellite.child.errorOutput.contains("cannot keep the rotated credential")
        }
        #expect(try await presented() == first, "the certificate held goes on being served")
        let serving = satellite.path("data/serving.pem")
        let fromKey = try await runChecked(tls.openssl, ["pkey", "-in", serving, "-pubout"])
        let fromCertificate = try await runChecked(tls.openssl, ["x509", "-in", serving, "-noout", "-pubkey"])
        #expect(fromKey == fromCertificate, "serving.pem is whole")

        try FileManager.default.removeItem(atPath: filler)
        try await poll("a new certificate once there is room", timeout: .seconds(60)) {
            let shown = try await presented()
            return shown.contains("Fingerprint=") && shown != first
        }
        try await poll("the rotated credential kept", timeout: .seconds(30)) {
            satellite.child.errorOutput.contains("credential rotated")
        }
        #expect(satellite.child.isRunning)
    }
}
