import Foundation
import SwiftASN1
import X509

/// A name a satellite serves devices and peers under, as its serving certificate carries it: a
/// lower-case DNS name (no wildcard) or an IP address, as `--advertise` gives its host.
public struct ServingName: Sendable, Equatable, CustomStringConvertible {
    public let description: String
    let generalName: GeneralName

    public init(_ text: String) throws(IdentityError) {
        let host = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        description = host
        if let bytes = Self.address(host) {
            generalName = .ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes)))
            return
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        let valid =
            host.utf8.count <= 253
            && labels.allSatisfy { label in
                (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                    && label.unicodeScalars.allSatisfy {
                        ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
                    }
            }
        guard valid else {
            throw IdentityError(
                .malformed, "'\(text.prefix(100))' is neither an IP address nor a lower-case DNS name without wildcards"
            )
        }
        generalName = .dnsName(host)
    }

    /// Whether `certificate` names this host among its alternative names.
    public func isNamed(by certificate: Certificate) -> Bool {
        let names = (try? certificate.extensions.subjectAlternativeNames) ?? nil
        return (names ?? SubjectAlternativeNames()).contains(generalName)
    }

    /// The bytes of an IPv4 or IPv6 literal, or nil.
    private static func address(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
