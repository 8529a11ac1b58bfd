import FleetAPI
import Foundation
import SatelliteProtocol
import TestSupport
import Testing

/// `POST /api/v1/register` with a CSR that openssl made, as any client could: the certificate
/// that comes back verifies with openssl against the trust bundle; a weak key gets a 400 that
/// says so, and the token stays unused.
extension APITests {
    @Test func registrationSignsARequestOpenSSLMadeAndRefusesAWeakOne() async throws {
        let openssl = try requireTool("openssl", package: "openssl")
        let work = try TemporaryDirectory("enrol-api")
        defer { work.remove() }
        func make(_ name: String, key: [String]) async throws -> String {
            try await runChecked(
                openssl,
                ["req", "-new", "-newkey"] + key + [
                    "-nodes", "-keyout", work.appending("\(name).key"), "-subj", "/CN=s1", "-out",
                    work.appending("\(name).csr"),
                ])
            return try String(contentsOfFile: work.appending("\(name).csr"), encoding: .utf8)
        }
        let strong = try await make("p256", key: ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
        let weak = try await make("rsa1024", key: ["rsa:1024"])
        try await APIHarness.run { api in
            let token = try await api.admin("POST", "/api/v1/satellites", json: #"{"name":"s1","groups":[]}"#).decode(
                RegistrationToken.self)
            let body = { (csr: String) in
                String(
                    decoding: try APIJSON.encoder().encode(RegistrationRequest(token: token.token, csr: csr)),
                    as: UTF8.self)
            }
            let refused = try await api.send("POST", "/api/v1/register", json: try body(weak))
            #expect(refused.status == 400 && refused.error?.code == "FIELD_INVALID", "\(refused)")
            #expect(refused.error?.message.contains("2048") == true, "\(String(describing: refused.error))")

            let reply = try await api.send("POST", "/api/v1/register", json: try body(strong))
            #expect(reply.status == 200)
            let registration = try reply.decode(RegistrationResponse.self)
            try Data(try #require(registration.certificate).utf8).write(
                to: URL(fileURLWithPath: work.appending("s1.pem")))
            try Data(try #require(registration.trustBundle).utf8).write(
                to: URL(fileURLWithPath: work.appending("ca.pem")))
            let verified = try await runChecked(
                openssl,
                ["verify", "-CAfile", work.appending("ca.pem"), "-purpose", "sslclient", work.appending("s1.pem")])
            #expect(verified.contains(": OK"))
            let text = try await runChecked(
                openssl, ["x509", "-in", work.appending("s1.pem"), "-noout", "-ext", "subjectAltName"])
            #expect(text.contains("URI:spiffe://harbor-satellite.local/satellite/s1"), "\(text)")
        }
    }
}
