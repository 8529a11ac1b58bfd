import Foundation
import SwiftASN1
import X509

/// A certificate the authority issued, with what Ground Control records of it.
public struct IssuedCertificate: Sendable {
    public let certificate: Certificate
    /// The leaf and the authority's chain, PEM, as a TLS client presents them.
    public let chainPEM: String

    /// The serial number in lower-case hex, as revocation names it.
    public var serial: String { Self.serial(of: certificate) }
    public var notValidAfter: Date { certificate.notValidAfter }

    public static func serial(of certificate: Certificate) -> String {
        certificate.serialNumber.bytes.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }
}

extension Certificate {
    /// The certificate in PEM.
    public var pem: String {
        get throws(IdentityError) {
            do {
                return try serializeAsPEM().pemString
            } catch {
                throw IdentityError(.malformed, "cannot encode a certificate: \(error)")
            }
        }
    }

    /// Every certificate in `pem`, in order; `what` names the input in the error.
    public static func all(inPEM pem: String, what: String) throws(IdentityError) -> [Certificate] {
        do {
            return try PEMDocument.parseMultiple(pemString: pem).map { try Certificate(pemDocument: $0) }
        } catch {
            throw IdentityError(.malformed, "\(what): not PEM certificates")
        }
    }
}
