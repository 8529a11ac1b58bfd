import Foundation
import ImageSignatures
import OCI
import TestSupport
import Testing

/// Signatures made by `scripts/testing/cosign-sign.py` in cosign's two formats (python's
/// `cryptography`, not this code) with each kind of key cosign makes, checked by `SignatureChecker`.
@Suite struct SignatureCheckerTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../scripts/testing/cosign-sign.py").standardized.path

    struct Signer {
        let directory: TemporaryDirectory
        let prefix: String

        init(_ kind: String, in directory: TemporaryDirectory, name: String) async throws {
            self.directory = directory
            prefix = directory.appending(name)
            try await Self.script(["keygen", kind, prefix])
        }

        var publicKey: String { get throws { try String(contentsOfFile: prefix + ".pub", encoding: .utf8) } }

        func simpleSigning(_ digest: String) async throws -> SignatureEvidence {
            struct Made: Decodable { let payload: String, signature: String }
            let made = try JSONDecoder().decode(
                Made.self, from: Data(try await Self.script(["simple", prefix + ".key", digest]).utf8))
            return .simpleSigning(payload: try #require(Data(base64Encoded: made.payload)), signature: made.signature)
        }

        func bundle(_ digest: String) async throws -> SignatureEvidence {
            .bundle(Data(try await Self.script(["bundle", prefix + ".key", digest]).utf8))
        }

        func messageBundle(_ manifest: String) async throws -> SignatureEvidence {
            .bundle(Data(try await Self.script(["message-bundle", prefix + ".key", manifest]).utf8))
        }

        @discardableResult
        static func script(_ arguments: [String]) async throws -> String {
            try await runChecked(
                try requireTool("python3", package: "python3"), [SignatureCheckerTests.script] + arguments)
        }
    }

    static func digest(_ text: String) -> Digest { DigestHasher.digest(of: Array(text.utf8)) }

    @Test(arguments: ["ecdsa", "ed25519", "rsa"])
    func signaturesOfEachKindAreJudgedByDigestAndKey(kind: String) async throws {
        let directory = try TemporaryDirectory("signatures")
        defer { directory.remove() }
        let trusted = try await Signer(kind, in: directory, name: "trusted")
        let stranger = try await Signer(kind, in: directory, name: "stranger")
        let checker = SignatureChecker(keys: [try TrustedKey(pem: try trusted.publicKey)])
        let manifest = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: directory.appending("manifest.json")))
        let subject = Self.digest(manifest)
        let other = Self.digest("another image")
        let keyKind = try TrustedKey(pem: try trusted.publicKey).kind

        for evidence in [
            try await trusted.simpleSigning(subject.string), try await trusted.bundle(subject.string),
            try await trusted.messageBundle(directory.appending("manifest.json")),
        ] {
            #expect(
                checker.check(subject: subject, manifest: Data(manifest.utf8), evidence: [evidence])
                    == .verified(keyKind: keyKind))
        }
        #expect(checker.check(subject: subject, manifest: nil, evidence: []) == .unsigned)
        #expect(SignatureVerdict.unsigned.refusal(required: true) == "not signed")
        #expect(SignatureVerdict.unsigned.refusal(required: false) == nil)

        for evidence in [try await stranger.simpleSigning(subject.string), try await stranger.bundle(subject.string)] {
            let verdict = checker.check(subject: subject, manifest: Data(manifest.utf8), evidence: [evidence])
            #expect(verdict.refusal(required: false)?.hasPrefix("no trusted key verifies") == true, "\(verdict)")
        }
        for evidence in [try await trusted.simpleSigning(other.string), try await trusted.bundle(other.string)] {
            let verdict = checker.check(subject: subject, manifest: Data(manifest.utf8), evidence: [evidence])
            #expect(verdict == .rejected("its signature is for another digest (\(other.string))"))
        }
        // One flipped bit in the signature.
        guard case .simpleSigning(let payload, let signature) = try await trusted.simpleSigning(subject.string) else {
            return
        }
        var bytes = try #require(Data(base64Encoded: signature))
        bytes[bytes.count / 2] ^= 0x01
        let altered = checker.check(
            subject: subject, manifest: nil,
            evidence: [.simpleSigning(payload: payload, signature: bytes.base64EncodedString())])
        #expect(altered.refusal(required: false)?.hasPrefix("no trusted key verifies") == true, "\(altered)")
        // A good signature among bad ones still admits it.
        let mixed = checker.check(
            subject: subject, manifest: nil,
            evidence: [
                try await stranger.simpleSigning(subject.string),
                .simpleSigning(payload: Data("{".utf8), signature: "AA=="),
                try await trusted.bundle(subject.string),
            ])
        #expect(mixed == .verified(keyKind: keyKind))
    }

    @Test func unreadableKeysAndEvidenceAreRefusedWithAReason() async throws {
        #expect(throws: SignatureError.self) { try TrustedKey(pem: "not a key") }
        #expect(throws: SignatureError.self) {
            try TrustedKey(pem: "-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----")
        }
        // Keys that are not keys, and an RSA key whose inside is broken: refused, never a crash
        // (the RSA parser of _CryptoExtras aborts the process on bad DER, so it never sees any).
        let brokenRSA: [UInt8] = [
            0x30, 0x14, 0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00,
            0x03, 0x03, 0x00, 0x01, 0x02,
        ]
        for body in ["AAAA", Data(brokenRSA).base64EncodedString(), Data(brokenRSA.prefix(17)).base64EncodedString()] {
            #expect(throws: SignatureError.self) {
                try TrustedKey(pem: "-----BEGIN PUBLIC KEY-----\n\(body)\n-----END PUBLIC KEY-----\n")
            }
        }
        let directory = try TemporaryDirectory("signatures")
        defer { directory.remove() }
        let signer = try await Signer("ecdsa", in: directory, name: "key")
        let checker = SignatureChecker(keys: [try TrustedKey(pem: try signer.publicKey)])
        let subject = Self.digest("image")
        for (evidence, reason) in [
            (SignatureEvidence.simpleSigning(payload: Data("{}".utf8), signature: "AA=="), "is not cosign's JSON"),
            (.simpleSigning(payload: Data(), signature: "%%%"), "is not base64"),
            (.bundle(Data(#"{"mediaType":"application/json"}"#.utf8)), "not a sigstore bundle"),
            (
                .bundle(Data(#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}"#.utf8)),
                "neither a DSSE envelope nor a message signature"
            ),
        ] {
            let verdict = checker.check(subject: subject, manifest: nil, evidence: [evidence])
            #expect(verdict.refusal(required: false)?.contains(reason) == true, "\(verdict)")
        }
    }
}
