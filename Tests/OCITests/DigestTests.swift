import OCI
import Testing

@Suite struct DigestTests {
    static let sha256Hex = String(repeating: "a1", count: 32)
    static let sha512Hex = String(repeating: "0f", count: 64)

    @Test(arguments: [
        "sha256:\(sha256Hex)",
        "sha512:\(sha512Hex)",
    ])
    func acceptsRegisteredAlgorithms(raw: String) throws {
        let digest = try Digest(raw)
        #expect(digest.string == raw)
    }

    @Test(arguments: [
        "",
        "sha256",
        "sha256:",
        ":\(sha256Hex)",
        "sha256:\(sha256Hex.uppercased())",
        "sha256:\(sha256Hex)00",
        "sha256:\(sha256Hex.dropLast())",
        "sha512:\(sha256Hex)",
        "md5:d41d8cd98f00b204e9800998ecf8427e",
        "SHA256:\(sha256Hex)",
        "sha256+:\(sha256Hex)",
        "sha256:../../etc/passwd",
    ])
    func rejectsMalformedOrUnsupported(raw: String) {
        #expect(throws: OCIError.self) { try Digest(raw) }
        do { _ = try Digest(raw) } catch { #expect(error.code == .digestInvalid) }
    }

    @Test func hasherMatchesKnownVectors() {
        #expect(
            DigestHasher.digest(of: Array("".utf8)).string
                == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(DigestHasher.digest(of: Array("abc".utf8), algorithm: .sha512).encoded.hasPrefix("ddaf35a193617aba"))
    }

    @Test func incrementalHashEqualsWholeHash() {
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var hasher = DigestHasher(.sha256)
        for chunk in stride(from: 0, to: bytes.count, by: 777) {
            hasher.update(bytes[chunk..<min(chunk + 777, bytes.count)])
        }
        #expect(hasher.finalize() == DigestHasher.digest(of: bytes))
    }
}
