import FleetAPI
import FleetIdentity
import Foundation
import SatelliteProtocol
import TestSupport
import Testing

extension MutualTLSTests {
    /// With an operator's authority (so the test can mint what Ground Control never issued):
    /// each certificate outside the rules gets a 401 that says why, and changes nothing.
    @Test func certificatesOutsideTheRulesAreRefusedWithAReason() async throws {
        let work = try TemporaryDirectory("mtls-refusals")
        defer { work.remove() }
        let tls = try MutualTLS(work: work)
        try await tls.makeServerCertificate()
        try await tls.makeOperatorAuthority()
        let server = try await GroundControlProcess(
            directory: work, adminToken: "admin", caFile: tls.serverCertificate,
            extraArguments: tls.groundControlArguments(auth: "both") + [
                "--ca-cert", work.appending("operator-ca.pem"), "--ca-key-file", work.appending("operator-ca.key"),
            ])
        defer { Task { await server.stop() } }
        let edge = try await tls.enrol(server, name: "edge-01")
        let state = "\(server.baseURL)/api/v1/state"
        #expect(try await tls.send("GET", state, identity: edge.identity).status == 200)
        // `both`: the credential still works for a satellite that has no certificate yet.
        #expect(try await tls.send("GET", state, bearer: edge.credential).status == 200)

        let authority = try CertificateAuthority(
            certificatePEM: try String(contentsOfFile: work.appending("operator-ca.pem"), encoding: .utf8),
            privateKeyPEM: try String(contentsOfFile: work.appending("operator-ca.key"), encoding: .utf8), now: Date())
        let day: TimeInterval = 86400
        let cases: [(String, String, Date, TimeInterval, String)] = [
            ("expired", "edge-01", Date().addingTimeInterval(-2 * day), day, "expired at"),
            ("early", "edge-01", Date().addingTimeInterval(day), day, "not valid before"),
            ("unrecorded", "edge-01", Date(), day, "was not issued to edge-01"),
            ("another", "edge-02", Date(), day, "was not issued to edge-02"),
        ]
        for (file, name, start, lifetime, reason) in cases {
            let path = try tls.mint(by: authority, name: name, start: start, lifetime: lifetime, file: file)
            let refused = try await tls.send("GET", state, identity: path)
            #expect(refused.status == 401 && refused.body.contains(reason), "\(file): \(refused)")
            // A certificate presented is the only proof looked at: a good credential does not make up for it.
            let both = try await tls.send("GET", state, identity: path, bearer: edge.credential)
            #expect(both.status == 401, "\(file) with a credential: \(both)")
        }
        try await tls.mintWithoutSPIFFE()
        let anonymous = try await tls.send("GET", state, identity: work.appending("no-spiffe.pem"))
        #expect(anonymous.status == 401 && anonymous.body.contains("names no SPIFFE ID"), "\(anonymous)")

        // Renewal takes an ended certificate within --reenrol-expired: the expired one gets past
        // the clock and is refused for what it is, one Ground Control never recorded.
        let renewal = "\(server.baseURL)/api/v1/certificate"
        let csr = try tls.requestJSON(DeviceKey().request(for: nil))
        let late = try await tls.send("POST", renewal, identity: work.appending("expired"), body: csr)
        #expect(late.status == 401 && late.body.contains("was not issued"), "\(late)")
        // The satellite's own renews; a request naming another satellite or garbage is a 400 naming csr.
        let renewed = try await tls.send("POST", renewal, identity: edge.identity, body: csr)
        #expect(renewed.status == 200 && renewed.body.contains("BEGIN CERTIFICATE"), "\(renewed)")
        let other = try SPIFFEID("spiffe://harbor-satellite.local/satellite/edge-02")
        for body in [try tls.requestJSON(DeviceKey().request(for: other)), try tls.requestJSON("garbage")] {
            let bad = try await tls.send("POST", renewal, identity: edge.identity, body: body)
            #expect(bad.status == 400 && bad.body.contains("csr"), "\(bad)")
        }
        let audit = try await satctl(server, token: "admin", ["audit", "--limit", "1000", "--output", "json"])
        #expect(audit.components(separatedBy: "satellite.certificate.renewed").count == 2, "one renewal: \(audit)")
    }

    /// Two Ground Control processes on one PostgreSQL: a revocation on one is refused on the
    /// other within a second.
    @Test func aRevocationOnOneReplicaIsRefusedOnTheOtherWithinASecond() async throws {
        let work = try TemporaryDirectory("mtls-replicas")
        defer { work.remove() }
        let tls = try MutualTLS(work: work)
        try await tls.makeServerCertificate()
        let database = try await PostgresServer.shared.makeDatabase()
        let arguments = tls.groundControlArguments(auth: "mtls")
        let first = try await GroundControlProcess(
            directory: work, database: database, adminToken: "admin", caFile: tls.serverCertificate,
            extraArguments: arguments)
        defer { Task { await first.stop() } }
        let otherDirectory = try TemporaryDirectory("mtls-replica-two")
        defer { otherDirectory.remove() }
        let second = try await GroundControlProcess(
            directory: otherDirectory, database: database, adminToken: "admin",
            secretKeyFile: work.appending("secret.key"), caFile: tls.serverCertificate, extraArguments: arguments)
        defer { Task { await second.stop() } }

        let edge = try await tls.enrol(first, name: "edge-01")
        for server in [first, second] {
            #expect(try await tls.send("GET", "\(server.baseURL)/api/v1/state", identity: edge.identity).status == 200)
        }
        try await satctl(first, token: "admin", ["satellites", "revoke", "edge-01"])
        try await poll("the other replica to refuse the revoked certificate", timeout: .seconds(1)) {
            try await tls.send("GET", "\(second.baseURL)/api/v1/state", identity: edge.identity).status == 401
        }
    }
}

extension MutualTLS {
    /// A satellite created and registered through the API with a request openssl made: the PEM
    /// file of its key and certificate, and its credential.
    func enrol(_ server: GroundControlProcess, name: String) async throws -> (identity: String, credential: String) {
        let created = try await satctl(server, token: "admin", ["satellites", "create", name, "--output", "json"])
        let token = try APIJSON.decoder().decode(RegistrationToken.self, from: Data(created.utf8)).token
        try await runChecked(
            openssl,
            [
                "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                work.appending("\(name).key"), "-out", work.appending("\(name).csr"), "-subj", "/CN=\(name)",
            ])
        let csr = try String(contentsOfFile: work.appending("\(name).csr"), encoding: .utf8)
        let body = String(
            decoding: try JSONEncoder().encode(RegistrationRequest(token: token, csr: csr)), as: UTF8.self)
        let reply = try await send("POST", "\(server.baseURL)/api/v1/register", body: body)
        #expect(reply.status == 200, "\(reply)")
        let registration = try APIJSON.decoder().decode(RegistrationResponse.self, from: Data(reply.body.utf8))
        let key = try String(contentsOfFile: work.appending("\(name).key"), encoding: .utf8)
        let identity = work.appending("\(name).pem")
        try Data((key + (registration.certificate ?? "")).utf8).write(to: URL(fileURLWithPath: identity))
        return (identity, registration.credential)
    }

    /// An operator's root CA in `operator-ca.pem`, its key owner-only in `operator-ca.key`.
    func makeOperatorAuthority() async throws {
        try await runChecked(
            openssl,
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                work.appending("operator-ca.key"), "-out", work.appending("operator-ca.pem"), "-days", "3", "-subj",
                "/CN=OperatorCA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                "keyUsage=critical,keyCertSign",
            ])
        _ = chmod(work.appending("operator-ca.key"), 0o600)
    }

    /// A certificate for satellite `name` from `authority` that Ground Control never recorded.
    func mint(
        by authority: CertificateAuthority, name: String, start: Date, lifetime: TimeInterval, file: String
    ) throws -> String {
        let key = DeviceKey()
        let id = try SPIFFEID("spiffe://harbor-satellite.local/satellite/\(name)")
        let issued = try authority.issue(
            try CertificateRequest(pem: try key.request(for: id)), to: id, lifetime: lifetime, now: start)
        let path = work.appending(file)
        try Data(try ClientIdentity(key: key, chain: [issued.certificate]).pem.utf8).write(
            to: URL(fileURLWithPath: path))
        return path
    }

    /// A client certificate of the operator's authority with no SPIFFE ID, in `no-spiffe.pem`.
    func mintWithoutSPIFFE() async throws {
        try await runChecked(
            "/bin/sh",
            [
                "-c",
                """
                cd '\(work.path)' && \
                '\(openssl)' req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout no-spiffe.key \
                  -out no-spiffe.csr -subj /CN=edge-01 && \
                printf 'extendedKeyUsage=clientAuth\\n' > no-spiffe.ext && \
                '\(openssl)' x509 -req -in no-spiffe.csr -CA operator-ca.pem -CAkey operator-ca.key \
                  -CAcreateserial -days 1 -extfile no-spiffe.ext -out no-spiffe.crt && \
                cat no-spiffe.key no-spiffe.crt > no-spiffe.pem
                """,
            ])
    }

    /// A renewal request's body for `csr`.
    func requestJSON(_ csr: String) throws -> String {
        String(decoding: try JSONEncoder().encode(CertificateRenewalRequest(csr: csr)), as: UTF8.self)
    }
}
