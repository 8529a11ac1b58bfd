import Foundation

/// Which SPIFFE IDs are satellites, and whose: `spiffe://example.org/edge/{name}`, where `{name}`
/// stands for one whole path segment that is the satellite's name. Ground Control's own
/// authority uses `spiffe://<trust domain>/satellite/{name}`; an operator running SPIRE gives
/// the pattern its registration entries follow.
public struct SPIFFEIDPattern: Sendable, Equatable, CustomStringConvertible {
    static let placeholder = "{name}"

    public let trustDomain: String
    /// The path's segments, one of which is the placeholder.
    let segments: [String]

    public init(_ text: String) throws(IdentityError) {
        let sample = text.replacingOccurrences(of: Self.placeholder, with: "x")
        let id: SPIFFEID
        do {
            id = try SPIFFEID(sample)
        } catch {
            throw IdentityError(.malformed, "spiffe-id-pattern: \(error.message)")
        }
        let rest = text.dropFirst("spiffe://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let segments = rest[slash...].dropFirst().split(separator: "/").map(String.init)
        // Any other brace was refused as a SPIFFE ID character above.
        guard segments.filter({ $0 == Self.placeholder }).count == 1 else {
            throw IdentityError(
                .malformed, "spiffe-id-pattern: '\(text.prefix(80))' must hold {name} once, as a whole path segment")
        }
        trustDomain = id.trustDomain
        self.segments = segments
    }

    /// The pattern of IDs Ground Control's own authority issues in `trustDomain`.
    public static func satellites(in trustDomain: String) throws(IdentityError) -> SPIFFEIDPattern {
        try SPIFFEIDPattern("spiffe://\(trustDomain)/satellite/\(placeholder)")
    }

    /// The ID of the satellite `name`.
    public func id(of name: String) throws(IdentityError) -> SPIFFEID {
        let path = segments.map { $0 == Self.placeholder ? name : $0 }.joined(separator: "/")
        return try SPIFFEID(trustDomain: trustDomain, path: "/" + path)
    }

    /// The satellite `id` names, or nil when it is not one of this pattern's.
    public func name(in id: SPIFFEID) -> String? {
        guard id.trustDomain == trustDomain else { return nil }
        let parts = id.path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == segments.count else { return nil }
        var name: String?
        for (part, segment) in zip(parts, segments) {
            if segment == Self.placeholder { name = part } else if part != segment { return nil }
        }
        return name
    }

    public var description: String { "spiffe://\(trustDomain)/" + segments.joined(separator: "/") }
}
