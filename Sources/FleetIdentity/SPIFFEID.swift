/// A SPIFFE ID, `spiffe://<trust domain>/<path>`, checked as the SPIFFE ID specification
/// (SPIFFE-ID.md, section 2) has it: a lower-case trust domain of letters, digits, `.`, `-` and
/// `_`; a path of non-empty segments of letters, digits, `.`, `-` and `_`, none `.` or `..`, no
/// trailing `/`; no port, user, query or fragment; at most 2048 bytes.
public struct SPIFFEID: Sendable, Hashable, CustomStringConvertible {
    public let trustDomain: String
    /// Empty, or `/` and segments.
    public let path: String

    static let maximumLength = 2048

    public init(_ text: String) throws(IdentityError) {
        guard text.utf8.count <= Self.maximumLength else {
            throw IdentityError(.malformed, "a SPIFFE ID is at most \(Self.maximumLength) bytes")
        }
        guard text.hasPrefix("spiffe://") else {
            throw IdentityError(.malformed, "'\(text.prefix(80))' is not a SPIFFE ID (spiffe://trust-domain/path)")
        }
        let rest = text.dropFirst("spiffe://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        try self.init(trustDomain: String(rest[..<slash]), path: String(rest[slash...]))
    }

    public init(trustDomain: String, path: String) throws(IdentityError) {
        try Self.checkTrustDomain(trustDomain)
        if !path.isEmpty {
            guard path.hasPrefix("/") else { throw IdentityError(.malformed, "a SPIFFE ID's path starts with /") }
            for segment in path.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
                guard !segment.isEmpty, segment != ".", segment != "..",
                    segment.utf8.allSatisfy({ Self.isLetterOrDigit($0) || Self.punctuation.contains($0) })
                else {
                    throw IdentityError(
                        .malformed,
                        "the SPIFFE ID path '\(path.prefix(80))' has a segment that is empty, . or .., or holds "
                            + "other than letters, digits, '.', '-' and '_'")
                }
            }
        }
        self.trustDomain = trustDomain
        self.path = path
    }

    /// A trust domain as a setting names it (`harbor-satellite.local`).
    public static func checkTrustDomain(_ trustDomain: String) throws(IdentityError) {
        guard !trustDomain.isEmpty, trustDomain.utf8.count <= 255,
            trustDomain.utf8.allSatisfy({
                ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z"))
                    || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                    || punctuation.contains($0)
            })
        else {
            throw IdentityError(
                .malformed,
                "the trust domain '\(trustDomain.prefix(80))' must be lower-case letters, digits, '.', '-' and '_'")
        }
    }

    public var description: String { "spiffe://\(trustDomain)\(path)" }

    private static let punctuation: Set<UInt8> = [UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_")]

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}
