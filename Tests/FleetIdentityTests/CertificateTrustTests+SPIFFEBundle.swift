import FleetIdentity
import Foundation
import SwiftASN1
import Testing
import X509

extension CertificateTrustTests {
    /// A SPIFFE bundle as `spire-server bundle show -format spiffe` prints it: a JWK set whose
    /// x509-svid keys carry the authorities; jwt-svid keys are another profile's.
    @Test func aSPIFFEBundleGivesItsX509Authorities() throws {
        let authority = try CertificateAuthority.make(trustDomain: "example.org", now: Self.now)
        var serializer = DER.Serializer()
        try serializer.serialize(authority.certificate)
        let der = Data(serializer.serializedBytes).base64EncodedString()
        let bundle = """
            {"keys": [
              {"use": "x509-svid", "kty": "EC", "crv": "P-256", "x": "…", "y": "…", "x5c": ["\(der)"]},
              {"use": "jwt-svid", "kty": "EC", "kid": "k1", "crv": "P-256", "x": "…", "y": "…"}
            ], "spiffe_sequence": 3, "spiffe_refresh_hint": 300}
            """
        #expect(try CertificateTrust(spiffeBundle: bundle).anchors == [authority.certificate])
        #expect(try CertificateTrust(spiffeBundle: try authority.bundlePEM).anchors == [authority.certificate])

        for (text, complaint) in [
            (#"{"keys": [{"use": "jwt-svid", "kid": "k1"}]}"#, "no x509-svid key"),
            (#"{"keys": [{"use": "x509-svid", "x5c": ["\#(der)", "\#(der)"]}]}"#, "one certificate"),
            (#"{"keys": [{"use": "x509-svid", "x5c": ["not base64"]}]}"#, "one certificate"),
            (#"{"keys": "none"}"#, "neither PEM nor a SPIFFE bundle"),
            ("garbage", "holds no certificate"),
        ] {
            #expect("\(text)") { try CertificateTrust(spiffeBundle: text) } throws: {
                ($0 as? IdentityError)?.message.contains(complaint) == true
            }
        }
    }
}
