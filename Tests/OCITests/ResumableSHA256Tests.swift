import Crypto
import OCI
import Testing

@Suite struct ResumableSHA256Tests {
    /// Agrees with swift-crypto for any split of the input, across a save and restore at every
    /// split point (block boundaries and inside blocks).
    @Test(arguments: [0, 1, 55, 56, 63, 64, 65, 1000, 4096, 100_003])
    func savedAndRestoredHashAgreesWithSwiftCrypto(length: Int) throws {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let expected = Digest(algorithm: .sha256, hashBytes: SHA256.hash(data: bytes))
        for split in Set([0, length / 3, length / 2, max(0, length - 1), length]) {
            var first = DigestHasher(.sha256)
            bytes[..<split].withUnsafeBytes { first.update($0) }
            let saved = try #require(first.savedState)
            #expect(saved.count == Int64(split))
            var resumed = try #require(DigestHasher(resuming: saved.bytes))
            bytes[split...].withUnsafeBytes { resumed.update($0) }
            #expect(resumed.finalize() == expected)
            // Finalizing does not end the hash.
            #expect(resumed.finalize() == expected)
        }
    }

    @Test func damagedStatesAreRefused() throws {
        var hasher = DigestHasher(.sha256)
        hasher.update(Array("hello".utf8))
        let saved = try #require(hasher.savedState).bytes
        #expect(DigestHasher(resuming: saved.dropLast()) == nil)
        var wrongVersion = saved
        wrongVersion[0] = 9
        #expect(DigestHasher(resuming: wrongVersion) == nil)
        var wrongCount = saved
        wrongCount[1 + 32] ^= 0x08  // the bit length no longer matches the buffered bytes
        #expect(DigestHasher(resuming: wrongCount) == nil)
        #expect(DigestHasher(.sha512).savedState == nil)
    }
}
