import FleetIdentity
import Foundation
import SwiftASN1
import TestSupport
import Testing
import X509

/// What a TLS client may present, mutated: the chain check and the request parser answer every
/// input with a value or an `IdentityError`, never a crash, and trust nothing they should not.
@Suite struct PresentedChainFuzzTests {
    /// Seeded, so a failure is reproducible; the seed is in the failure's message.
    static let seed = UInt64(ProcessInfo.processInfo.environment["FUZZ_SEED"] ?? "") ?? 20_261_207

    @Test func mutatedCertificatesAreRefusedOrTrustedOnlyWhenUnchanged() throws {
        var random = SeededGenerator(seed: Self.seed)
        let authority = try CertificateAuthority.make(trustDomain: "harbor-satellite.local", now: Date())
        let key = DeviceKey()
        let issued = try CertificateTrustTests.issue(by: authority, key: key, now: Date())
        let der = try ClientIdentity(key: key, chain: [issued.certificate]).chainDER[0]
        var trusted = 0
        for round in 0..<3000 {
            var mutated = der
            switch random.next() % 4 {
            case 0:  // flip bits
                for _ in 0..<(1 + Int(random.next() % 4)) {
                    let index = Int(random.next() % UInt64(mutated.count))
                    mutated[index] ^= UInt8(1 << (random.next() % 8))
                }
            case 1:  // truncate
                mutated = Array(mutated.prefix(Int(random.next() % UInt64(mutated.count))))
            case 2:  // a length byte made huge
                let index = Int(random.next() % UInt64(min(mutated.count, 16)))
                mutated[index] = 0xFF
            default:  // random bytes
                mutated = (0..<Int(random.next() % 600)).map { _ in UInt8(random.next() & 0xFF) }
            }
            do {
                let path = try authority.trust.path(der: [mutated])
                _ = try TrustedChain(path: path).identity(now: Date())
                // A change the signature does not cover (an unused bit of encoding) may pass;
                // what passes must still name the satellite it was issued to.
                let parsed = try Certificate(derEncoded: mutated)
                #expect(
                    parsed.tbsCertificateBytes == issued.certificate.tbsCertificateBytes,
                    "seed \(Self.seed) round \(round)")
                trusted += 1
            } catch is IdentityError {
                continue
            }
        }
        #expect(trusted < 100, "seed \(Self.seed): \(trusted) mutations passed")
    }

    @Test func mutatedRequestsAreReadOrRefusedNeverACrash() throws {
        var random = SeededGenerator(seed: Self.seed &+ 1)
        let pem = try DeviceKey().request(for: CertificateTrustTests.id)
        let bytes = Array(pem.utf8)
        for round in 0..<2000 {
            var mutated = bytes
            for _ in 0..<(1 + Int(random.next() % 3)) {
                let index = Int(random.next() % UInt64(mutated.count))
                mutated[index] = UInt8(random.next() % 128)
            }
            if random.next() % 5 == 0 { mutated = Array(mutated.prefix(Int(random.next() % UInt64(mutated.count)))) }
            // Typed throws: an IdentityError or a request, whatever the bytes (a crash fails the run).
            if let request = try? CertificateRequest(pem: String(decoding: mutated, as: UTF8.self)) {
                #expect(
                    request.requestedIDs.allSatisfy { $0.hasPrefix("spiffe://") }, "seed \(Self.seed) round \(round)")
            }
        }
    }

    /// An operator's trust bundle as SPIRE rewrites it, in both formats and mutated: every
    /// version is a trust or an `IdentityError`, and a trust holds only certificates that parse.
    @Test func mutatedSPIFFEBundlesAreReadOrRefusedNeverACrash() throws {
        var random = SeededGenerator(seed: Self.seed &+ 2)
        let authority = try CertificateAuthority.make(trustDomain: "example.org", now: Date())
        var serializer = DER.Serializer()
        try serializer.serialize(authority.certificate)
        let der = serializer.serializedBytes
        let bundles = [
            try authority.bundlePEM,
            #"{"keys":[{"use":"x509-svid","x5c":["\#(Data(der).base64EncodedString())"]}]}"#,
        ]
        #expect(try bundles.allSatisfy { try CertificateTrust(spiffeBundle: $0).anchors == [authority.certificate] })
        for round in 0..<2000 {
            var mutated = Array(bundles[Int(random.next() % 2)].utf8)
            for _ in 0..<(1 + Int(random.next() % 3)) {
                let index = Int(random.next() % UInt64(mutated.count))
                mutated[index] = UInt8(random.next() % 128)
            }
            if random.next() % 5 == 0 { mutated = Array(mutated.prefix(Int(random.next() % UInt64(mutated.count)))) }
            if let trust = try? CertificateTrust(spiffeBundle: String(decoding: mutated, as: UTF8.self)) {
                #expect(!trust.anchors.isEmpty, "seed \(Self.seed) round \(round)")
            }
        }
    }
}
