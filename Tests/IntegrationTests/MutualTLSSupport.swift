import Foundation
import TestSupport

/// The TLS pieces of the mutual-TLS tests: Ground Control's server certificate made by
/// openssl, and curl presenting a client certificate.
struct MutualTLS {
    let work: TemporaryDirectory
    let openssl: String
    let curl: String

    init(work: TemporaryDirectory) throws {
        self.work = work
        openssl = try requireTool("openssl", package: "openssl")
        curl = try requireTool("curl", package: "curl")
    }

    var serverCertificate: String { work.appending("tls.crt") }
    var serverKey: String { work.appending("tls.key") }

    /// A P-256 server certificate for 127.0.0.1, its own CA (what `--ground-control-ca` trusts).
    func makeServerCertificate() async throws {
        try await runChecked(
            openssl,
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", serverKey, "-out",
                serverCertificate,
            ])
    }

    /// The TLS pieces in `work` and Ground Control on HTTPS with them, asking satellites for
    /// `auth`, with `more` arguments.
    static func groundControl(
        in work: TemporaryDirectory, auth: String, _ more: [String] = []
    ) async throws -> (MutualTLS, GroundControlProcess) {
        let tls = try MutualTLS(work: work)
        try await tls.makeServerCertificate()
        let server = try await GroundControlProcess(
            directory: work, adminToken: "admin", caFile: tls.serverCertificate,
            extraArguments: tls.groundControlArguments(auth: auth) + more)
        return (tls, server)
    }

    /// Ground Control on HTTPS taking satellites by their certificates, and satellite `name`
    /// created there: what `satellite run` is given to register with it.
    static func satelliteOfGroundControl(
        in work: TemporaryDirectory, name: String
    ) async throws -> (tls: MutualTLS, server: GroundControlProcess, source: [String]) {
        let (tls, server) = try await groundControl(in: work, auth: "mtls")
        do {
            let token = try await createSatellite(server, name)
            return (
                tls, server,
                ["--ground-control", server.baseURL, "--token", token, "--ground-control-ca", tls.serverCertificate]
            )
        } catch {
            await server.stop()
            throw error
        }
    }

    /// The arguments that start Ground Control on HTTPS asking satellites for `auth`.
    func groundControlArguments(auth: String) -> [String] {
        ["--tls-cert", serverCertificate, "--tls-key", serverKey, "--satellite-auth", auth]
    }

    /// A request by curl, presenting `identity` (a PEM file with the key and the chain) and a
    /// bearer when given; the status (0 when nothing was answered) and body.
    func send(
        _ method: String, _ url: String, identity: String? = nil, bearer: String? = nil, body: String? = nil
    ) async throws -> (status: Int, body: String) {
        let output = work.appending("curl-body-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: output) }
        var arguments = ["-s", "-o", output, "-w", "%{http_code}", "--cacert", serverCertificate, "-X", method]
        if let identity { arguments += ["--cert", identity, "--key", identity] }
        if let bearer { arguments += ["-H", "Authorization: Bearer \(bearer)"] }
        if let body { arguments += ["-H", "Content-Type: application/json", "--data", body] }
        // No answer at all (curl cannot load a key file still without its certificate, the
        // server is down) is status 0 with curl's reason, so a poll can wait it out.
        let result = try await run(curl, arguments + [url])
        guard result.status == 0 else { return (0, "curl exited \(result.status): \(result.error)") }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        return (Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, text)
    }
}
