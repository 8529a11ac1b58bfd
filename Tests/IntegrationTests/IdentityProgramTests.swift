import Foundation
import TestSupport
import Testing

/// `ground-control ca export` and the identity settings, as programs, checked with openssl.
@Suite struct IdentityProgramTests {
    @Test func theAuthorityIsMadeAtFirstStartAndExportedAsPEM() async throws {
        let work = try TemporaryDirectory("identity-ca")
        defer { work.remove() }
        let openssl = try requireTool("openssl", package: "openssl")
        let database = ["--database", "sqlite:\(work.appending("fleet.sqlite"))"]
        let key = ["--secret-key-file", work.appending("secret.key")]
        let server = try await GroundControlProcess(directory: work, adminToken: "admin")
        let exported = try await runChecked(try productPath("ground-control"), ["ca", "export"] + database + key)
        await server.stop()
        #expect(exported.hasPrefix("-----BEGIN CERTIFICATE-----"))
        try Data(exported.utf8).write(to: URL(fileURLWithPath: work.appending("ca.pem")))
        let subject = try await runChecked(openssl, ["x509", "-in", work.appending("ca.pem"), "-noout", "-subject"])
        #expect(subject.contains("Ground Control CA harbor-satellite.local"), "\(subject)")
        let again = try await runChecked(try productPath("ground-control"), ["ca", "export"] + database + key)
        #expect(again == exported, "the authority is made once and kept")

        // Another key opens nothing, the authority's key included.
        let other = try await run(
            try productPath("ground-control"),
            ["ca", "export"] + database + ["--secret-key-file", work.appending("other.key")])
        #expect(other.status != 0 && other.error.contains("sealed under secret key"), "\(other.error)")
    }

    /// An operator's intermediate is exported as given; one that is not a CA, a key that is not
    /// its key, or a key file others may read stops the start with the setting named.
    @Test func anOperatorsAuthorityIsCheckedAtStart() async throws {
        let work = try TemporaryDirectory("identity-operator-ca")
        defer { work.remove() }
        let openssl = try requireTool("openssl", package: "openssl")
        func make(_ arguments: [String]) async throws {
            try await runChecked(
                "/bin/sh", ["-c", "cd '\(work.path)' && '\(openssl)' " + arguments.joined(separator: " ")])
        }
        try await make([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
            "-out", "ca.pem", "-days", "30", "-subj", "/CN=OperatorCA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign",
        ])
        try await make([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf.key",
            "-out", "leaf.pem", "-days", "30", "-subj", "/CN=NotACA", "-addext", "basicConstraints=critical,CA:FALSE",
        ])
        #expect(chmod(work.appending("ca.key"), 0o600) == 0 && chmod(work.appending("leaf.key"), 0o600) == 0)
        let groundControl = try productPath("ground-control")
        let base = [
            "ca", "export", "--database", "sqlite:\(work.appending("fleet.sqlite"))", "--secret-key-file",
            work.appending("secret.key"),
        ]
        let exported = try await runChecked(
            groundControl, base + ["--ca-cert", work.appending("ca.pem"), "--ca-key-file", work.appending("ca.key")])
        #expect(exported == (try String(contentsOfFile: work.appending("ca.pem"), encoding: .utf8)))

        for (arguments, complaint) in [
            (
                ["--ca-cert", work.appending("leaf.pem"), "--ca-key-file", work.appending("leaf.key")],
                "not a certificate authority"
            ),
            (["--ca-cert", work.appending("ca.pem"), "--ca-key-file", work.appending("leaf.key")], "is not the key"),
            (["--ca-cert", work.appending("ca.pem")], "ca-cert and ca-key-file go together"),
            (["--ca-cert", work.appending("ca.key"), "--ca-key-file", work.appending("ca.key")], "ca-cert"),
            (["--trust-domain", "Not A Domain"], "trust-domain"),
            (["--certificate-lifetime", "soon"], "certificate-lifetime"),
        ] {
            let refused = try await run(groundControl, base + arguments)
            #expect(refused.status != 0 && refused.error.contains(complaint), "\(arguments): \(refused.error)")
        }
        #expect(chmod(work.appending("ca.key"), 0o644) == 0)
        let readable = try await run(
            groundControl, base + ["--ca-cert", work.appending("ca.pem"), "--ca-key-file", work.appending("ca.key")])
        #expect(readable.status != 0 && readable.error.contains("chmod 600"), "\(readable.error)")

        // serve reads the same settings and stops at the same faults.
        let serve = try await run(
            groundControl,
            [
                "serve", "--listen", "127.0.0.1:0", "--database", "sqlite:\(work.appending("fleet.sqlite"))",
                "--ca-cert", work.appending("leaf.pem"), "--ca-key-file", work.appending("leaf.key"),
            ], environment: ["GROUND_CONTROL_ADMIN_TOKEN": "admin"], timeout: .seconds(60))
        #expect(serve.status != 0 && serve.error.contains("not a certificate authority"), "\(serve.error)")
    }
}
