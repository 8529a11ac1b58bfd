import FleetIdentity
import Foundation
import Satellite
import TestSupport
import Testing

/// The SVID a SPIFFE agent keeps in files, taken as the agent rewrites them: a pair caught
/// between the certificate and the key, a key others may read, a certificate its bundle does
/// not lead to are refused, and the files are looked at again when they next change.
@Suite struct SVIDFilesTests {
    static let id = "spiffe://example.org/edge/edge-01"

    struct Agent {
        let directory: TemporaryDirectory
        let authority: CertificateAuthority
        var paths: SVIDPaths {
            SVIDPaths(
                certificate: directory.appending("svid.pem"), key: directory.appending("svid_key.pem"),
                bundle: directory.appending("svid_bundle.pem"))
        }

        init() throws {
            directory = try TemporaryDirectory("svid")
            authority = try CertificateAuthority.make(trustDomain: "example.org", now: Date())
        }

        /// A key and its SVID from `authority`, in PEM.
        func mint(by authority: CertificateAuthority? = nil) throws -> (certificate: String, key: String) {
            let key = DeviceKey()
            let id = try SPIFFEID(SVIDFilesTests.id)
            let issued = try (authority ?? self.authority).issue(
                try CertificateRequest(pem: try key.request(for: id)), to: id, lifetime: 3600, now: Date())
            return (issued.chainPEM, try key.pem)
        }

        func write(_ text: String, to path: String, mode: Int = 0o644) throws {
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        }

        func write(_ svid: (certificate: String, key: String)) throws {
            try write(svid.certificate, to: paths.certificate)
            try write(svid.key, to: paths.key, mode: 0o600)
            try write(try authority.bundlePEM, to: paths.bundle)
        }
    }

    @Test func aRotationIsTakenOnceTheKeyFollowsItsCertificate() throws {
        let agent = try Agent()
        defer { agent.directory.remove() }
        var files = SVIDFiles(agent.paths)
        #expect(throws: SVIDError.self) { try files.changed() }
        let first = try agent.mint()
        try agent.write(first)
        let taken = try #require(try files.changed())
        #expect(try PresentedIdentity(#require(taken.identity.certificate)).id.description == Self.id)
        #expect(try files.changed() == nil, "unchanged files are not read as a change")

        // The agent has written the new certificate, not yet its key.
        let second = try agent.mint()
        try agent.write(second.certificate, to: agent.paths.certificate)
        #expect(throws: SVIDError.self) { try files.changed() }
        try agent.write(second.key, to: agent.paths.key, mode: 0o600)
        let rotated = try #require(try files.changed())
        #expect(rotated.identity.certificate != taken.identity.certificate)
    }

    @Test func aKeyOthersMayReadOrACertificateItsBundleDoesNotLeadToIsRefused() throws {
        let agent = try Agent()
        defer { agent.directory.remove() }
        var files = SVIDFiles(agent.paths)
        try agent.write(try agent.mint())
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: agent.paths.key)
        #expect { try files.changed() } throws: { "\($0)".contains("svid_key.pem") }

        var other = SVIDFiles(agent.paths)
        let stranger = try CertificateAuthority.make(trustDomain: "example.org", now: Date())
        try agent.write(try agent.mint(by: stranger))
        #expect { try other.changed() } throws: { "\($0)".contains("authority") }
    }
}
